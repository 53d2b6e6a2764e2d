package webui_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

func chromium(t *testing.T) string {
	for _, c := range []string{os.Getenv("TUFGIT_CHROMIUM"), "chromium", "chromium-browser"} {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("SKIPPED: chromium not installed (apt-get install chromium); the browser test did not run")
	return ""
}

// artifacts is where screenshots are kept: TUFGIT_TEST_ARTIFACTS, or a
// directory under the system's temporary directory.
func artifacts(t *testing.T) string {
	dir := os.Getenv("TUFGIT_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "tufgit-test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func headless(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-quic", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// The pages in a real browser, served on 127.0.0.1: the DOM has the key
// elements, and screenshots are kept for people to look at.
func TestPagesInChromium(t *testing.T) {
	bin := chromium(t)
	now := time.Now().UTC().Truncate(time.Second)
	generic, _ := build(t, DirSourceFor(genericRepo(t, now)), now)
	tufgitSite := tufgitUI(t)
	for _, site := range []struct {
		name, dir string
		pages     map[string][]string
	}{
		{"generic", generic, map[string][]string{
			"index.html":        {"Top-level roles", "bins-0", "threshold not met", "(missing)"},
			"role-bins-2.html":  {"invalid"},
			"root-history.html": {"Root history", "first root"},
		}},
		{"tufgit", tufgitSite, map[string][]string{
			"index.html":         {"Top-level roles", "Projects"},
			"projects.html":      {"hello", "world"},
			"project-hello.html": {"Releases", "hello-1.0.0.tar.gz"},
		}},
	} {
		srv := httptest.NewServer(http.FileServer(http.Dir(site.dir)))
		for page, wants := range site.pages {
			dom := string(headless(t, bin, "--dump-dom", srv.URL+"/"+page))
			for _, w := range wants {
				if !strings.Contains(dom, w) {
					t.Errorf("%s %s: the rendered DOM lacks %q", site.name, page, w)
				}
			}
			shot := filepath.Join(artifacts(t), site.name+"-"+strings.TrimSuffix(page, ".html")+".png")
			os.Remove(shot)
			headless(t, bin, "--window-size=1280,1000", "--screenshot="+shot, srv.URL+"/"+page)
			data, err := os.ReadFile(shot)
			if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG")) || len(data) < 5000 {
				t.Errorf("no usable screenshot of %s %s at %s", site.name, page, shot)
			} else {
				t.Logf("screenshot: %s", shot)
			}
		}
		srv.Close()
	}
}

// tufgitUI publishes a tufgit repository (with its web UI) and returns the
// UI directory; its links must all resolve too.
func tufgitUI(t *testing.T) string {
	t.Helper()
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "repo.git"), repotest.Spec{Names: []string{"hello", "help", "world"}, Releases: 2, Now: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	mirror := filepath.Join(t.TempDir(), "mirror")
	if _, err := f.Publish(mirror, true); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(mirror, "ui")
}

func TestTufgitUILinks(t *testing.T) {
	dir := tufgitUI(t)
	if n := crawl(t, dir); n < 40 {
		t.Fatalf("crawled %d files", n)
	}
	if !strings.Contains(read(t, dir, "project-hello.html"), "1.1.0") {
		t.Error("project page lacks release 1.1.0")
	}
}
