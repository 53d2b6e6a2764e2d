package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/tufgit/tufgit/pkg/atomicfile"
)

// ErrNotExist is returned by Mirror.Read for a missing file.
var ErrNotExist = errors.New("not on the mirror")

// Mirror is where published files go: a local directory or an object
// store. Each Write is atomic: a reader sees the old file or the new one.
type Mirror interface {
	Read(ctx context.Context, name string, max int64) ([]byte, error)
	Exists(ctx context.Context, name string) (bool, error)
	Write(ctx context.Context, name string, data []byte) error
	// WriteFrom writes name from r, read to its end, then calls check;
	// the file appears on the mirror only if check returns nil, and is
	// abandoned otherwise. Artifacts go through it, so that publishing
	// one costs a buffer, not its size in memory.
	WriteFrom(ctx context.Context, name string, r io.Reader, check func() error) error
	Close() error
	String() string
}

// OpenMirror opens dest: an s3://, gs://, azblob:// or file:// URL through
// gocloud.dev/blob, or else a local directory (created if missing).
func OpenMirror(ctx context.Context, dest string) (Mirror, error) {
	for _, s := range []string{"s3://", "gs://", "azblob://", "file://"} {
		if strings.HasPrefix(dest, s) {
			b, err := blob.OpenBucket(ctx, dest)
			if err != nil {
				return nil, fmt.Errorf("mirror %s: %w", dest, err)
			}
			return &bucketMirror{url: dest, b: b}, nil
		}
	}
	if strings.Contains(dest, "://") {
		return nil, fmt.Errorf("mirror %q: use a directory or an s3://, gs://, azblob://, file:// URL", dest)
	}
	abs, err := filepath.Abs(dest)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("mirror %s: %w", dest, err)
	}
	return &dirMirror{root: abs}, nil
}

// checkName keeps mirror names relative and clean.
func checkName(name string) error {
	if !filepath.IsLocal(name) || strings.Contains(name, "\\") || filepath.Clean(name) != name {
		return fmt.Errorf("refusing mirror path %q", name)
	}
	return nil
}

type dirMirror struct{ root string }

func (m *dirMirror) String() string { return m.root }
func (m *dirMirror) Close() error   { return nil }

func (m *dirMirror) Read(_ context.Context, name string, max int64) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(m.root, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", name, ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(data)) > max {
		err = fmt.Errorf("%s: larger than %d bytes", name, max)
	}
	return data, err
}

func (m *dirMirror) Exists(_ context.Context, name string) (bool, error) {
	if err := checkName(name); err != nil {
		return false, err
	}
	_, err := os.Stat(filepath.Join(m.root, name))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (m *dirMirror) Write(_ context.Context, name string, data []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(m.root, name), data, 0o644)
}

func (m *dirMirror) WriteFrom(ctx context.Context, name string, r io.Reader, check func() error) error {
	if err := checkName(name); err != nil {
		return err
	}
	r = progressReader(ctx, r)
	// The check runs before the rename: a refused file never appears.
	return atomicfile.WriteFrom(filepath.Join(m.root, name), 0o644, true, func(w io.Writer) error {
		if _, err := io.Copy(w, r); err != nil {
			return err
		}
		if check != nil {
			return check()
		}
		return nil
	})
}

type bucketMirror struct {
	url string
	b   *blob.Bucket
}

func (m *bucketMirror) String() string { return m.url }
func (m *bucketMirror) Close() error   { return m.b.Close() }

func (m *bucketMirror) Read(ctx context.Context, name string, max int64) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	r, err := m.b.NewReader(ctx, name, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, fmt.Errorf("%s: %w", name, ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err == nil && int64(len(data)) > max {
		err = fmt.Errorf("%s: larger than %d bytes", name, max)
	}
	return data, err
}

func (m *bucketMirror) Exists(ctx context.Context, name string) (bool, error) {
	if err := checkName(name); err != nil {
		return false, err
	}
	return m.b.Exists(ctx, name)
}

func (m *bucketMirror) Write(ctx context.Context, name string, data []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	w, err := m.b.NewWriter(ctx, name, &blob.WriterOptions{ContentType: ContentType(name)})
	if err != nil {
		return err
	}
	report, _ := ctx.Value(progressKey{}).(func(int64))
	if report == nil {
		report = func(int64) {}
	}
	// In pieces, so that a progress display moves during a large upload.
	for off := 0; off < len(data) || off == 0; {
		end := min(off+uploadChunk, len(data))
		if _, err := w.Write(data[off:end]); err != nil {
			w.Close()
			return err
		}
		off = end
		report(int64(off))
		if end == len(data) {
			break
		}
	}
	return w.Close()
}

// uploadChunk is how much Write hands the bucket at once.
const uploadChunk = 1 << 20

type progressKey struct{}

// withProgress makes Write report the bytes written so far to report.
func withProgress(ctx context.Context, report func(done int64)) context.Context {
	return context.WithValue(ctx, progressKey{}, report)
}

func (m *bucketMirror) WriteFrom(ctx context.Context, name string, r io.Reader, check func() error) error {
	if err := checkName(name); err != nil {
		return err
	}
	// Cancelling the writer's context before Close abandons the write
	// (gocloud.dev/blob): nothing appears under name.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := m.b.NewWriter(wctx, name, &blob.WriterOptions{ContentType: ContentType(name)})
	if err != nil {
		return err
	}
	_, err = io.Copy(w, progressReader(ctx, r))
	if err == nil && check != nil {
		err = check()
	}
	if err != nil {
		cancel()
		w.Close()
		return err
	}
	return w.Close()
}

// ContentType is the media type a mirror serves a file with. Only the web
// UI that publish renders (under ui/, every value escaped by html/template)
// is served as a page, a style sheet, its one script (the project search)
// or its icon; metadata is JSON; everything else,
// artifacts above all, is opaque bytes that a browser must never render, so
// an artifact that happens to be HTML can not run on the mirror's origin.
func ContentType(name string) string {
	switch {
	case strings.HasPrefix(name, "ui/") && strings.HasSuffix(name, ".html"):
		return "text/html; charset=utf-8"
	case strings.HasPrefix(name, "ui/") && strings.HasSuffix(name, ".css"):
		return "text/css; charset=utf-8"
	case strings.HasPrefix(name, "ui/") && strings.HasSuffix(name, ".js"):
		return "text/javascript; charset=utf-8"
	case strings.HasPrefix(name, "ui/") && strings.HasSuffix(name, ".svg"):
		return "image/svg+xml"
	case strings.HasSuffix(name, ".json") && !strings.HasPrefix(name, "targets/"):
		return "application/json"
	}
	return "application/octet-stream"
}

// UIContentSecurityPolicy is the policy served with the web UI's pages:
// nothing but the mirror's own files, no plugins, no framing.
const UIContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// progressReader reports the bytes read so far to the context's progress
// callback (withProgress), so that a streamed upload moves the display
// like Write's chunks do.
func progressReader(ctx context.Context, r io.Reader) io.Reader {
	report, _ := ctx.Value(progressKey{}).(func(int64))
	if report == nil {
		return r
	}
	return &countingReader{r: r, report: report}
}

type countingReader struct {
	r      io.Reader
	n      int64
	report func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n += int64(n)
		c.report(c.n)
	}
	return n, err
}
