package client_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tufgit/tufgit/pkg/client"
)

func TestConfigURLs(t *testing.T) {
	cases := []struct {
		cfg           client.Config
		meta, targets string
		err           string
	}{
		{client.Config{Mirror: "https://m.example/tuf/"}, "https://m.example/tuf/metadata", "https://m.example/tuf/targets", ""},
		{client.Config{MetadataURL: "https://a.example/md/", TargetsURL: "http://b.example/t"}, "https://a.example/md", "http://b.example/t", ""},
		{client.Config{Mirror: "https://m.example", MetadataURL: "https://a.example"}, "", "", "not both"},
		{client.Config{MetadataURL: "https://a.example"}, "", "", `targets URL ""`},
		{client.Config{TargetsURL: "https://a.example"}, "", "", `metadata URL ""`},
		{client.Config{Mirror: "file:///srv/mirror"}, "", "", "want an http(s) URL"},
		{client.Config{}, "", "", "metadata URL"},
	}
	for _, c := range cases {
		m, tg, err := c.cfg.URLs()
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%+v: %v, want an error with %q", c.cfg, err, c.err)
			}
			continue
		}
		if err != nil || m != c.meta || tg != c.targets {
			t.Errorf("%+v: %q %q %v", c.cfg, m, tg, err)
		}
	}
}

// New trusts the root it is given only while the directory has none.
func TestNew(t *testing.T) {
	r := newTUFRepo(t, true)
	r.addTarget("targets", "f", []byte("f"))
	r.publish()
	cfg := client.Config{MetadataURL: r.url + "/metadata", TargetsURL: r.url + "/targets"}
	dir := filepath.Join(t.TempDir(), "client")
	if _, err := client.New(dir, cfg, nil); !errors.Is(err, client.ErrNotInitialized) {
		t.Fatalf("no root anywhere: %v", err)
	}
	if _, err := client.New(dir, cfg, []byte(`{"signed":{}}`)); !errors.Is(err, client.ErrBadRoot) {
		t.Fatalf("a bad root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "metadata", "root.json")); err == nil {
		t.Fatal("a refused root was written")
	}
	if _, err := client.New(dir, client.Config{MetadataURL: cfg.MetadataURL}, r.rootRaw); err == nil {
		t.Fatal("no targets URL: accepted")
	}
	c, err := client.New(dir, cfg, r.rootRaw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Target("f"); err != nil {
		t.Fatal(err)
	}
	// Later, the directory's root (nil will do; another is ignored).
	other := newTUFRepo(t, true)
	for _, root := range [][]byte{nil, other.rootRaw} {
		c, err := client.New(dir, cfg, root)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Target("f"); err != nil {
			t.Fatalf("returning client: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
		t.Fatal("New wrote a config.json")
	}
}
