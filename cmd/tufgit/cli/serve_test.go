package cli

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMirrorHandler(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "metadata"), 0o755)
	os.WriteFile(filepath.Join(dir, "metadata", "timestamp.json"), []byte(`{"x":1}`), 0o644)
	os.WriteFile(filepath.Join(dir, "evil.html"), []byte(`<script>alert(1)</script>`), 0o644)
	os.MkdirAll(filepath.Join(dir, "ui"), 0o755)
	os.WriteFile(filepath.Join(dir, "ui", "index.html"), []byte(`<!doctype html><title>x</title>`), 0o644)
	os.WriteFile(filepath.Join(dir, "ui", "style.css"), []byte(`body{}`), 0o644)
	os.MkdirAll(filepath.Join(dir, "targets", "hello", "1.0"), 0o755)
	os.WriteFile(filepath.Join(dir, "targets", "hello", "1.0", "page.html"), []byte(`<script>alert(1)</script>`), 0o644)
	os.WriteFile(filepath.Join(dir, "targets", "hello", "1.0", "data.json"), []byte(`{}`), 0o644)
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("secret"), 0o600)
	os.Symlink(secret, filepath.Join(dir, "link"))
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var log bytes.Buffer
	srv := httptest.NewServer(MirrorHandler(root, &log))
	defer srv.Close()
	for _, c := range []struct {
		method, path string
		code         int
		ctype        string
	}{
		{"GET", "/metadata/timestamp.json", 200, "application/json"},
		{"HEAD", "/metadata/timestamp.json", 200, "application/json"},
		{"GET", "/evil.html", 200, "application/octet-stream"},
		// The UI publish renders is served as pages; artifacts never are,
		// whatever their names say.
		{"GET", "/ui/index.html", 200, "text/html; charset=utf-8"},
		{"GET", "/ui/style.css", 200, "text/css; charset=utf-8"},
		{"GET", "/targets/hello/1.0/page.html", 200, "application/octet-stream"},
		{"GET", "/targets/hello/1.0/data.json", 200, "application/octet-stream"},
		{"GET", "/metadata/", 404, ""},
		{"GET", "/link", 404, ""},
		{"GET", "/%2e%2e/secret", 404, ""},
		{"GET", "/metadata/../../secret", 404, ""},
		{"POST", "/metadata/timestamp.json", 405, ""},
		{"PUT", "/metadata/timestamp.json", 405, ""},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		req.URL.Opaque = c.path // send the path as is, .. included
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.code)
		}
		if c.ctype != "" && resp.Header.Get("Content-Type") != c.ctype {
			t.Errorf("%s %s: content type %q, want %q", c.method, c.path, resp.Header.Get("Content-Type"), c.ctype)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); (c.ctype == "text/html; charset=utf-8") != (csp != "") {
			t.Errorf("%s %s: content security policy %q", c.method, c.path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" && c.code == 200 {
			t.Errorf("%s %s: no nosniff", c.method, c.path)
		}
	}
	// The mirror's root leads to the UI.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ui/index.html" {
		t.Errorf("GET /: %d to %q, want 302 to /ui/index.html", resp.StatusCode, resp.Header.Get("Location"))
	}
	if !bytes.Contains(log.Bytes(), []byte("GET /metadata/timestamp.json 200")) || !bytes.Contains(log.Bytes(), []byte("GET /link 404")) {
		t.Errorf("requests not logged:\n%s", log.String())
	}
}

// Every exit code constant is documented in ExitCodes, once, in order.
func TestExitCodesDocumented(t *testing.T) {
	consts := []int{ExitOK, ExitError, ExitUsage, ExitInvalid, ExitExpired, ExitNotFound, ExitUnreachable,
		ExitExpiredMeta, ExitRollback, ExitSignature, ExitHash, ExitTooLarge, ExitTUF, ExitExpiring, ExitRewritten}
	if len(ExitCodes) != len(consts) {
		t.Fatalf("ExitCodes lists %d codes, exit.go defines %d", len(ExitCodes), len(consts))
	}
	for i, c := range consts {
		if ExitCodes[i].Code != c || ExitCodes[i].Name == "" || ExitCodes[i].Meaning == "" {
			t.Errorf("ExitCodes[%d] = %+v, want code %d with a name and a meaning", i, ExitCodes[i], c)
		}
	}
}

// Usage errors are exit 2 by type: an unknown subcommand of a group, a
// missing argument, an unknown flag, a missing required flag. A message
// that merely contains cobra's words is not.
func TestUsageErrorsByType(t *testing.T) {
	for _, args := range [][]string{
		{"request", "rebasex"}, {"nosuch"}, {"project", "create"}, {"verify", "--bogus"},
		{"hook", "install"},
	} {
		var out, errOut bytes.Buffer
		io := &IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }}
		if code := Run(t.Context(), args, io); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, ExitUsage, errOut.String())
		}
		if !strings.Contains(errOut.String(), "--help`") {
			t.Errorf("%v: no --help hint: %s", args, errOut.String())
		}
	}
	// A group without a subcommand shows its help: exit 0.
	var out bytes.Buffer
	io := &IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &out, Getenv: func(string) string { return "" }}
	if code := Run(t.Context(), []string{"request"}, io); code != ExitOK || !strings.Contains(out.String(), "rebase") {
		t.Errorf("tufgit request: exit %d: %s", code, out.String())
	}
	// An error whose text holds cobra's words is not a usage error.
	if code := report(&out, errors.New("open x: invalid argument")); code != ExitError {
		t.Errorf("an EINVAL file error exits %d, want %d", code, ExitError)
	}
}
