package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"sync/atomic"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Progress is told how a download advances (for a progress bar).
type Progress func(url string, done, total int64)

// fetcher is go-tuf's Fetcher over net/http: every read bounded by the
// length the caller allows, a 404 reported the way go-tuf expects (it
// ends root rotation), and a timeout: for metadata, the whole transfer;
// for a target file, which may be gigabytes on a slow link, the time
// without any byte arriving.
type fetcher struct {
	client   *http.Client
	timeout  time.Duration
	progress Progress
}

func newFetcher(timeout time.Duration) *fetcher {
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	return &fetcher{client: &http.Client{}, timeout: timeout}
}

// DownloadFile implements fetcher.Fetcher.
func (f *fetcher) DownloadFile(url string, maxLength int64, _ time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	body, err := f.get(ctx, url, maxLength)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, maxLength+1))
	if err != nil {
		return nil, &unreachableError{url: url, err: err}
	}
	if int64(len(data)) > maxLength {
		return nil, &metadata.ErrDownloadLengthMismatch{Msg: fmt.Sprintf("%s is longer than the %d bytes allowed", url, maxLength)}
	}
	return data, nil
}

// open starts the download of a target file of at most maxLength bytes.
// It is abandoned when no byte arrives for the fetcher's timeout.
func (f *fetcher) open(url string, maxLength int64) (io.ReadCloser, error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &stallReader{url: url, timeout: f.timeout, cancel: cancel}
	s.stall = time.AfterFunc(f.timeout, func() { s.stalled.Store(true); cancel() })
	body, err := f.get(ctx, url, maxLength)
	if err != nil {
		s.stall.Stop()
		cancel()
		if s.stalled.Load() {
			return nil, &unreachableError{url: url, err: fmt.Errorf("no response for %v", f.timeout)}
		}
		return nil, err
	}
	s.r = body
	return s, nil
}

// stallReader restarts its timer whenever bytes arrive.
type stallReader struct {
	r       io.ReadCloser
	url     string
	stall   *time.Timer
	stalled atomic.Bool
	timeout time.Duration
	cancel  context.CancelFunc
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.stall.Reset(s.timeout)
	}
	if err != nil && err != io.EOF && s.stalled.Load() {
		err = fmt.Errorf("no data for %v", s.timeout)
	}
	return n, err
}

func (s *stallReader) Close() error {
	s.stall.Stop()
	s.cancel()
	return s.r.Close()
}

// get starts a download of at most maxLength bytes: it fails at once
// when the server announces more. The caller reads the body (reporting
// progress), at most maxLength+1 bytes of it, and closes it.
func (f *fetcher) get(ctx context.Context, url string, maxLength int64) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, &metadata.ErrDownload{Msg: err.Error()}
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, &unreachableError{url: url, err: err}
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &metadata.ErrDownloadHTTP{StatusCode: resp.StatusCode, URL: url}
	}
	if resp.ContentLength > maxLength {
		resp.Body.Close()
		return nil, &metadata.ErrDownloadLengthMismatch{Msg: fmt.Sprintf("%s is %d bytes, more than the %d allowed", url, resp.ContentLength, maxLength)}
	}
	if f.progress == nil {
		return resp.Body, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{&progressReader{r: resp.Body, url: url, total: resp.ContentLength, cb: f.progress}, resp.Body}, nil
}

type progressReader struct {
	r     io.Reader
	url   string
	done  int64
	total int64
	cb    Progress
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	p.cb(p.url, p.done, p.total)
	return n, err
}

// unreachableError is a transport failure (not a TUF failure).
type unreachableError struct {
	url string
	err error
}

// Error says "URL: cause" once: a *url.Error would repeat the URL, and the
// TUFError around it already says "mirror unreachable".
func (e *unreachableError) Error() string {
	err := e.err
	var ue *neturl.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Sprintf("%s: %v", e.url, err)
}
func (e *unreachableError) Unwrap() error { return ErrUnreachable }
