package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/client"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/publish"
)

// ClientOptions are shared by the downloader's commands.
type ClientOptions struct {
	IO  *IOStreams
	Dir string
}

func (o *ClientOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.Dir, "client-dir", "", "client state: trusted metadata, cache, mirror URL (default $XDG_DATA_HOME/tufgit)")
}

func (o *ClientOptions) dir() (string, error) {
	if o.Dir != "" {
		return o.Dir, nil
	}
	return client.DefaultDir()
}

func (o *ClientOptions) open() (*client.Client, error) {
	return o.openProgress(false)
}

// openProgress opens the client; jsonOut turns the progress display off.
func (o *ClientOptions) openProgress(jsonOut bool) (*client.Client, error) {
	d, err := o.dir()
	if err != nil {
		return nil, err
	}
	c, err := client.Open(d)
	if err != nil {
		return nil, err
	}
	// The downloader's clock is the system's, always: a clock from
	// anywhere else would switch off freeze protection.
	if p := newProgress(o.IO, jsonOut); p != nil {
		c.Progress = func(url string, done, total int64) {
			if strings.Contains(url, "/targets/") {
				p.Update(url, done, total)
			}
		}
	}
	return c, nil
}

func newClientCmd(io *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "client",
		Short: "Set up the downloader's trust in a repository",
		Long:  `The downloader ('tufgit releases', 'tufgit download') trusts one root, pinned with 'tufgit client init'.`,
	}
	cmd.AddCommand(newClientInitCmd(io), newClientShowCmd(io))
	return cmd
}

// ClientInitOptions are the options of `tufgit client init`.
type ClientInitOptions struct {
	ClientOptions
	Mirror string
	Root   string
	TOFU   bool
	Force  bool
}

func newClientInitCmd(io *IOStreams) *cobra.Command {
	o := &ClientInitOptions{ClientOptions: ClientOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "init --mirror URL --root ROOT.json [--client-dir DIR]",
		Short: "Pin trust in a repository's root",
		Long: `Pin trust in a repository: remember its mirror URL and the root metadata you
got through a trusted channel (the repository's website over HTTPS, a signed
release, a colleague). Everything later is verified from this root; root
rotations are followed, each signed by the previous root.

tufgit never fetches the first root from the network, unless you pass
--insecure-trust-on-first-use: then whoever controls the mirror at this moment
decides what you trust, forever.

Over a client directory that already trusts a root, init warns and drops
the cached metadata. It refuses a root older than the one the client
already trusts (after the rotations it followed), or another root of the
same version: that would roll the client back to keys that may have been
retired. --force pins it anyway.`,
		Example: `  tufgit client init --mirror https://packages.example.org/tuf --root root.json
  tufgit client init --mirror http://127.0.0.1:8080 --root repo/metadata/root_history/1.root.json --client-dir ./client`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.Run() },
	}
	o.addFlags(cmd)
	cmd.Flags().StringVar(&o.Mirror, "mirror", "", "the mirror's base URL (required)")
	cmd.Flags().StringVar(&o.Root, "root", "", "a root.json you trust")
	cmd.Flags().BoolVar(&o.TOFU, "insecure-trust-on-first-use", false, "fetch the first root from the mirror itself (INSECURE)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "pin the root even if it is older than the one this client trusts")
	_ = cmd.MarkFlagRequired("mirror")
	return cmd
}

// Run pins the root.
func (o *ClientInitOptions) Run() error {
	d, err := o.dir()
	if err != nil {
		return err
	}
	var root []byte
	switch {
	case o.Root != "" && o.TOFU:
		return usageError("give either --root or --insecure-trust-on-first-use")
	case o.Root != "":
		if root, err = readBounded(o.Root, client.MaxRoot); err != nil {
			return err
		}
	case o.TOFU:
		fmt.Fprintln(o.IO.ErrOut, "tufgit: WARNING: trusting the root the mirror serves right now (--insecure-trust-on-first-use); an attacker controlling the mirror now would be trusted from here on")
		if root, err = client.FetchRootTOFU(o.Mirror); err != nil {
			return client.Classify(err)
		}
	default:
		return usageError("--root is required (or, knowingly, --insecure-trust-on-first-use)")
	}
	info, err := client.DescribeRoot(root)
	if err != nil {
		return err
	}
	// The mirror must serve this root's chain: a root of another
	// repository would only fail later, as "bad signatures".
	latest, cerr := client.CheckMirror(client.Config{Mirror: strings.TrimSuffix(o.Mirror, "/")}, root)
	var te *client.TUFError
	switch {
	case errors.Is(cerr, client.ErrNotMirrorsRoot):
		return withHint(cerr, "check that --root and --mirror belong to the same repository: the root comes from its operators, through a channel you trust; nothing was pinned")
	case errors.As(cerr, &te):
		fmt.Fprintf(o.IO.ErrOut, "tufgit: warning: could not check that the mirror serves this root: %v\n", cerr)
	case cerr != nil:
		return cerr
	}
	p, err := client.Pin(d, o.Mirror, root, o.Force)
	if err != nil {
		return err
	}
	src := o.Root
	if o.TOFU {
		src = "the mirror's 1.root.json"
	}
	fmt.Fprintf(o.IO.Out, "pinned root v%d (from %s)\n", info.Version, src)
	printRootInfo(o.IO.Out, info)
	if latest != nil {
		if latest.Version == info.Version {
			fmt.Fprintf(o.IO.Out, "  mirror       serves this root, v%d, its latest\n", info.Version)
		} else {
			fmt.Fprintf(o.IO.Out, "  mirror       serves this root; it rotated since, each root signed by the one before: now v%d (fingerprint sha256:%s)\n", latest.Version, latest.Fingerprint)
		}
	}
	if p.Replaced {
		was := fmt.Sprintf("root v%d", p.OldVersion)
		if p.OldMirror != "" {
			was += " for " + p.OldMirror
		}
		fmt.Fprintf(o.IO.ErrOut, "tufgit: warning: %s already trusted %s; it now trusts root v%d for %s, and its cached metadata is dropped\n",
			d, was, p.NewVersion, strings.TrimSuffix(o.Mirror, "/"))
	}
	fmt.Fprintf(o.IO.Out, "trusting this root for %s (state in %s)\nnext: tufgit releases PROJECT\n", o.Mirror, d)
	return nil
}

// printRootInfo says what a root is: compare its fingerprint with the one
// the repository's operators publish.
func printRootInfo(w io.Writer, r *client.RootInfo) {
	fmt.Fprintf(w, "  fingerprint  sha256:%s\n", r.Fingerprint)
	fmt.Fprintf(w, "  root keys    %d of %d sign root: %s\n", r.Threshold, len(r.Keys), strings.Join(r.Keys, ", "))
	fmt.Fprintf(w, "  expires      %s\n", r.Expires.UTC().Format("2006-01-02 15:04 MST"))
}

// ClientShowOptions are the options of `tufgit client show`.
type ClientShowOptions struct {
	ClientOptions
	JSON bool
}

func newClientShowCmd(io *IOStreams) *cobra.Command {
	o := &ClientShowOptions{ClientOptions: ClientOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "show [--client-dir DIR] [--json]",
		Short: "Say what the downloader trusts: the root, the mirror, the cache",
		Long: `Show the client directory: the root it trusts now (version, fingerprint,
the keys that sign root; after the rotations it followed), the mirror it
downloads from, and what it caches (the top-level roles' versions, how many
delegated roles and target files). Nothing is fetched.`,
		Example: "  tufgit client show\n  tufgit client show --client-dir ./client --json",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return o.Run() },
	}
	o.addFlags(cmd)
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON: dir, config, root (version, fingerprint, expires, keys, threshold), cached, roles, targets, target_bytes")
	return cmd
}

// Run shows the client's state.
func (o *ClientShowOptions) Run() error {
	c, err := o.open()
	if err != nil {
		return err
	}
	st, err := c.Show()
	if err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(o.IO.Out, st)
	}
	w := o.IO.Out
	fmt.Fprintf(w, "client directory %s\n", st.Dir)
	where := st.Config.Mirror
	if where == "" {
		where = st.Config.MetadataURL + " (targets " + st.Config.TargetsURL + ")"
	}
	fmt.Fprintf(w, "  mirror       %s\n", where)
	fmt.Fprintf(w, "  trusts root v%d\n", st.Root.Version)
	printRootInfo(w, st.Root)
	var cached []string
	for _, r := range []string{"timestamp", "snapshot", "targets"} {
		if v, ok := st.Cached[r]; ok {
			cached = append(cached, fmt.Sprintf("%s v%d", r, v))
		}
	}
	if len(cached) == 0 {
		cached = []string{"no metadata yet (`tufgit releases NAME` fetches it)"}
	}
	fmt.Fprintf(w, "  cached       %s; %d delegated role(s); %d file(s), %d bytes\n", strings.Join(cached, ", "), st.Roles, st.Targets, st.TargetBytes)
	return nil
}

func readBounded(p string, max int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, max+1)
	n, _ := f.Read(buf)
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil {
			break
		}
	}
	if int64(n) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", p, max)
	}
	return buf[:n], nil
}

// ProjectsOptions are the options of `tufgit projects`.
type ProjectsOptions struct {
	ClientOptions
	Pattern string
	JSON    bool
}

func newProjectsCmd(io *IOStreams) *cobra.Command {
	o := &ProjectsOptions{ClientOptions: ClientOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "projects [PATTERN] [--json]",
		Short: "List or search projects, from verified metadata",
		Long: `List the projects the repository delegates, or those matching PATTERN: a
substring of the name ("flask"), or a glob over the whole name ("py*",
"*-utils", "lib?"). Both are normalized as project names are: case does
not matter, and '_' and '.' are '-'.

The list comes from walking TUF's delegations from the trusted root through
every index role with go-tuf's updater: each index role is verified before
its delegations are read. Nothing comes from an unsigned index.

Exit code 5 when a PATTERN matches no project.`,
		Example: "  tufgit projects\n  tufgit projects hello\n  tufgit projects 'py*' --json",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Pattern = args[0]
			}
			return o.Run()
		},
	}
	o.addFlags(cmd)
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON: a list of {\"name\": ...}")
	return cmd
}

// ProjectJSON is one project in `tufgit projects --json`.
type ProjectJSON struct {
	Name string `json:"name"`
}

// Run lists the projects.
func (o *ProjectsOptions) Run() error {
	var match client.Matcher
	if o.Pattern != "" {
		m, err := client.ParsePattern(o.Pattern)
		if err != nil {
			return &exitError{code: ExitUsage, err: err, hint: "give part of a project name, or a glob such as 'py*'"}
		}
		match = m
	}
	c, err := o.open()
	if err != nil {
		return err
	}
	names, err := c.Projects(match)
	if err != nil {
		return err
	}
	if len(names) == 0 && o.Pattern != "" {
		return &exitError{code: ExitNotFound, err: fmt.Errorf("no project matches %q on %s", o.Pattern, c.Config.Mirror),
			hint: "`tufgit projects` lists every project"}
	}
	if o.JSON {
		out := make([]ProjectJSON, 0, len(names))
		for _, n := range names {
			out = append(out, ProjectJSON{Name: n})
		}
		return writeJSON(o.IO.Out, out)
	}
	for _, n := range names {
		fmt.Fprintln(o.IO.Out, n)
	}
	return nil
}

// ReleasesOptions are the options of `tufgit releases`.
type ReleasesOptions struct {
	ClientOptions
	Project string
	JSON    bool
}

func newReleasesCmd(io *IOStreams) *cobra.Command {
	o := &ReleasesOptions{ClientOptions: ClientOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "releases NAME [--json]",
		Short: "List a project's releases, from verified metadata",
		Long: `List every release of a project, in version order, with its files, sizes and
whether it is yanked (and why). The project's role is found by walking TUF's
delegations from the trusted root through go-tuf's updater; nothing comes
from an unsigned index.`,
		Example: "  tufgit releases hello\n  tufgit releases hello --json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Project = args[0]
			return o.Run()
		},
	}
	o.addFlags(cmd)
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON")
	return cmd
}

// Run lists the releases.
func (o *ReleasesOptions) Run() error {
	c, err := o.open()
	if err != nil {
		return err
	}
	rels, err := c.Releases(o.Project)
	if err != nil {
		return err
	}
	if o.JSON {
		if rels == nil {
			rels = []client.Release{}
		}
		return writeJSON(o.IO.Out, rels)
	}
	if len(rels) == 0 {
		fmt.Fprintf(o.IO.Out, "%s has no releases yet\n", o.Project)
	}
	for _, r := range rels {
		y := ""
		if r.Yanked {
			y = "  (yanked"
			if r.YankReason != "" {
				y += ": " + r.YankReason
			}
			y += ")"
		}
		fmt.Fprintf(o.IO.Out, "%s%s\n", r.Version, y)
		for _, f := range r.Files {
			fmt.Fprintf(o.IO.Out, "  %-40s %12d bytes  sha256 %s\n", f.Name, f.Length, f.SHA256[:16])
		}
	}
	return nil
}

// DownloadOptions are the options of `tufgit download`.
type DownloadOptions struct {
	ClientOptions
	Project string
	Version string
	File    string
	Out     string
	JSON    bool
}

func newDownloadCmd(io *IOStreams) *cobra.Command {
	o := &DownloadOptions{ClientOptions: ClientOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "download NAME [VERSION [FILE]] [-o DIR] [--json]",
		Short: "Download a release's files, verified",
		Long: `Download every file of a release into DIR (default: the current directory),
each under its own filename, or only FILE of it. Without VERSION, or with
VERSION latest, the latest release that is not yanked; a yanked release
named exactly is downloaded with a warning. A VERSION written another way
(v1.0 for 1.0) names the same release.

Each file's length and hashes are checked against the maintainers' signed
metadata before it appears in DIR. If any check fails, nothing is written to
DIR, not even a partial file. Files stream to disk, hashed as they arrive,
so memory does not grow with their size. Verified files are cached in the
client directory and not fetched again; a file DIR already holds with the
same bytes is left alone (not rewritten).

Exit codes: 5 unknown project or version, 6 mirror unreachable, 7 expired
metadata (freeze), 8 rollback or mix-and-match, 9 bad signatures, 10 hash or
length mismatch, 11 a file over its size limit, 12 other TUF failure.`,
		Example: "  tufgit download hello\n  tufgit download hello 1.0.0 -o dist/\n  tufgit download hello latest hello.tar.gz\n  tufgit download hello 1.0.0 --json",
		Args:    cobra.RangeArgs(1, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Project = args[0]
			if len(args) >= 2 {
				o.Version = args[1]
			}
			if len(args) == 3 {
				o.File = args[2]
			}
			return o.Run()
		},
	}
	o.addFlags(cmd)
	cmd.Flags().StringVarP(&o.Out, "output", "o", ".", "directory to write the files to")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON: project, version, yanked, warning, files (path, name, length, sha256), cached, unchanged")
	return cmd
}

// Run downloads.
func (o *DownloadOptions) Run() error {
	c, err := o.openProgress(o.JSON)
	if err != nil {
		return err
	}
	res, err := c.DownloadFile(o.Project, o.Version, o.File, o.Out)
	if err != nil {
		return err
	}
	if o.JSON {
		name, _ := layout.NormalizeProjectName(o.Project)
		out := DownloadJSON{Project: name, Version: res.Release.Version, Yanked: res.Release.Yanked, Warning: res.Warning, Cached: res.Cached, Unchanged: res.Unchanged, Files: []DownloadedFileJSON{}}
		for i, f := range res.Release.Files {
			out.Files = append(out.Files, DownloadedFileJSON{Path: res.Files[i], Name: f.Name, Length: f.Length, SHA256: f.SHA256})
		}
		return writeJSON(o.IO.Out, out)
	}
	if res.Warning != "" {
		fmt.Fprintf(o.IO.ErrOut, "tufgit: WARNING: %s\n", res.Warning)
	}
	for _, f := range res.Files {
		fmt.Fprintln(o.IO.Out, f)
	}
	fmt.Fprintf(o.IO.ErrOut, "downloaded %s %s: %d file(s) verified (%d from cache, %d already in place)\n", o.Project, res.Release.Version, len(res.Files), res.Cached, res.Unchanged)
	return nil
}

// DownloadJSON is what `tufgit download --json` prints.
type DownloadJSON struct {
	Project string               `json:"project"`
	Version string               `json:"version"`
	Yanked  bool                 `json:"yanked"`
	Warning string               `json:"warning,omitempty"`
	Files   []DownloadedFileJSON `json:"files"`
	Cached  int                  `json:"cached"`
	// Unchanged counts files the output directory already held with
	// the same bytes: left alone.
	Unchanged int `json:"unchanged"`
}

// DownloadedFileJSON is one file written by `tufgit download`.
type DownloadedFileJSON struct {
	Path   string `json:"path"`
	Name   string `json:"name"`
	Length int64  `json:"length"`
	SHA256 string `json:"sha256"`
}

// ServeOptions are the options of `tufgit serve`.
type ServeOptions struct {
	IO   *IOStreams
	Dir  string
	Addr string
}

func newServeCmd(io *IOStreams) *cobra.Command {
	o := &ServeOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "serve DIR [--addr 127.0.0.1:8080]",
		Short: "Serve a published mirror over HTTP",
		Long: `Serve a directory written by 'tufgit publish' over HTTP: the embedded default
mirror for trying tufgit out. GET and HEAD only, no directory listings, no
path (or symlink) leading out of DIR, JSON as application/json, every request
logged. Use a real web server or an object store in production; the mirror
holds nothing secret and clients verify everything.`,
		Example: "  tufgit serve ./mirror --addr 127.0.0.1:8080",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Dir = args[0]
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	return cmd
}

// Run serves until interrupted.
func (o *ServeOptions) Run(ctx context.Context) error {
	root, err := os.OpenRoot(o.Dir)
	if err != nil {
		return err
	}
	defer root.Close()
	l, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: MirrorHandler(root, o.IO.ErrOut), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	fmt.Fprintf(o.IO.ErrOut, "serving %s on http://%s/\n", o.Dir, l.Addr())
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// MirrorHandler serves files of root read-only, logging each request.
// os.Root keeps every open inside the directory, symlinks included.
func MirrorHandler(root *os.Root, log io.Writer) http.Handler {
	fsys := root.FS()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		serveFile(rec, r, fsys)
		fmt.Fprintf(log, "%s %s %s %d %d %s\n", start.UTC().Format(time.RFC3339), r.Method, r.URL.Path, rec.status, rec.bytes, time.Since(start).Round(time.Microsecond))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }
func (s *statusRecorder) Write(b []byte) (int, error) {
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func serveFile(w http.ResponseWriter, r *http.Request, fsys fs.FS) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" || name == "ui" {
		// The mirror's root leads to its web UI, when there is one.
		if st, err := fs.Stat(fsys, "ui/index.html"); err == nil && st.Mode().IsRegular() {
			http.Redirect(w, r, "/ui/index.html", http.StatusFound)
			return
		}
	}
	if name == "" || !fs.ValidPath(name) || strings.Contains(r.URL.Path, "..") {
		http.NotFound(w, r)
		return
	}
	f, err := fsys.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		http.Error(w, "unreadable", http.StatusInternalServerError)
		return
	}
	ctype := publish.ContentType(name)
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if strings.HasPrefix(ctype, "text/html") {
		w.Header().Set("Content-Security-Policy", publish.UIContentSecurityPolicy)
	}
	http.ServeContent(w, r, "", st.ModTime(), rs)
}
