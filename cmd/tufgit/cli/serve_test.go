package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestMirrorHandler(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "metadata"), 0o755)
	os.WriteFile(filepath.Join(dir, "metadata", "timestamp.json"), []byte(`{"x":1}`), 0o644)
	os.WriteFile(filepath.Join(dir, "evil.html"), []byte(`<script>alert(1)</script>`), 0o644)
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
		{"GET", "/metadata/", 404, ""},
		{"GET", "/", 404, ""},
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
	}
	if !bytes.Contains(log.Bytes(), []byte("GET /metadata/timestamp.json 200")) || !bytes.Contains(log.Bytes(), []byte("GET /link 404")) {
		t.Errorf("requests not logged:\n%s", log.String())
	}
}
