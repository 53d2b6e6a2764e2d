package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Progress is told how a download advances (for a progress bar).
type Progress func(url string, done, total int64)

// fetcher is go-tuf's Fetcher over net/http: every read bounded by the
// length the caller allows, a 404 reported the way go-tuf expects (it
// ends root rotation), and a timeout for the whole transfer.
type fetcher struct {
	client   *http.Client
	progress Progress
}

func newFetcher(timeout time.Duration) *fetcher {
	return &fetcher{client: &http.Client{Timeout: timeout}}
}

// DownloadFile implements fetcher.Fetcher.
func (f *fetcher) DownloadFile(url string, maxLength int64, _ time.Duration) ([]byte, error) {
	body, err := f.open(url, maxLength)
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

// open starts a download of at most maxLength bytes: it fails at once
// when the server announces more. The caller reads the body (reporting
// progress), at most maxLength+1 bytes of it, and closes it.
func (f *fetcher) open(url string, maxLength int64) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
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
