package webui

import (
	"bytes"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/atomicfile"
)

//go:embed templates/*.html templates/style.css templates/search.js templates/shards.js templates/favicon.svg
var templatesFS embed.FS

var tmpl = template.Must(template.New("").Funcs(funcs).ParseFS(templatesFS, "templates/*.html"))

// Writer stores one generated file (relative name, e.g. "index.html").
type Writer func(name string, data []byte) error

// DirWriter writes into a directory, each file atomically.
func DirWriter(dir string) Writer {
	return func(name string, data []byte) error {
		return atomicfile.WriteUnsynced(filepath.Join(dir, filepath.FromSlash(name)), data, 0o644)
	}
}

// Options tune Build.
type Options struct {
	// InlineTree is how many delegated roles the index shows as a tree;
	// past it, roles are listed on one page per first letter. It also
	// bounds how many projects one list page shows.
	InlineTree int
	// Only, when set, limits the per-role and per-project pages to these
	// roles (the index and summary pages are always rebuilt).
	Only map[string]bool
	// Site is the tufgit layer's input (name, labels, dates, history,
	// requests); nil for a repository known by its metadata alone.
	Site *Site
	// Manifest, when set, is what the previous build left: pages whose
	// inputs are unchanged are not rendered or written again. Build
	// updates it and writes it as manifest.json.
	Manifest *Manifest
}

// page is what every template gets.
type page struct {
	Title, Up, Generated string
	SiteName             string
	HasProjects          bool
	HasRequests          bool
	Repo                 *Repo
	// index
	Top            []*Role
	Letters        []letter
	TopChildren    []*Role
	TreeHTML       template.HTML
	Recent         []recentRow
	Expiring       []*Role
	MoreExpiring   int
	Broken         []*Role // missing, unreadable, or threshold not met
	MoreBroken     int
	ProjectLetters []letter
	// role
	Role                *Role
	RootKeys, DelegKeys *keyTable
	RootRoles           []rootRole
	MetaFiles           []metaFile
	Delegations         []metadata.DelegatedRole
	Succinct            *metadata.SuccinctRoles
	SuccinctBins        int
	Targets             []targetRow
	Unrecognized        string
	History             []historyRow
	Roles               []*Role
	Projects            []*Project
	Project             *Project
	Requests            []Request
	Request             *Request
	Removed             *removedProject
	MetadataURL         string
	TargetsURL          string
}

type recentRow struct {
	Project *Project
	Version string
	Date    time.Time
}

type letter struct {
	Letter, Page string
	Count        int
}
type keyTable struct {
	Caption string
	Keys    []keyRow
}
type keyRow struct {
	ID, Type, Scheme, Owner string
	// OwnerUnsigned marks an Owner that no signed metadata gives (a
	// tufgit project config's label): shown after the keyid, as unsigned.
	OwnerUnsigned bool
}
type rootRole struct {
	Name      string
	Threshold int
	KeyIDs    []string
}
type metaFile struct {
	Name    string
	Version int64
	Length  int64
	Hashes  []string
}
type targetRow struct {
	Path   string
	Length int64
	Hashes []string
	Custom string
	URL    string
}
type historyRow struct {
	Role    *Role
	Changes []string
}

// searchEntry is one project in search-index.json (short keys: the index
// of 10,000 projects stays small).
type searchEntry struct {
	Name    string `json:"n"`
	Display string `json:"d,omitempty"`
	Latest  string `json:"v,omitempty"`
	Page    string `json:"p"`
}

// Build renders every page of repo through w.
func Build(repo *Repo, w Writer, opts Options) error {
	if opts.InlineTree == 0 {
		opts.InlineTree = 300
	}
	site := opts.Site
	if site == nil {
		site = &Site{}
	}
	gen := repo.Now.UTC().Format("2006-01-02 15:04 UTC")
	markNoReleases(repo)
	projects := findProjects(repo, site)
	base := page{Generated: gen, Repo: repo, HasProjects: len(projects) > 0, SiteName: site.Name,
		HasRequests: len(site.Requests) > 0, MetadataURL: site.MetadataURL, TargetsURL: site.TargetsURL}
	if base.MetadataURL == "" {
		base.MetadataURL = "../metadata/"
	}
	if base.TargetsURL == "" {
		base.TargetsURL = "../targets/"
	}
	prev := opts.Manifest
	pages := map[string]string{}
	// put writes a page unless the previous build wrote it from the same
	// inputs (key == ""  means always).
	put := func(name, key string, data func() ([]byte, error)) error {
		if key != "" {
			pages[name] = key
			if prev != nil && prev.Pages[name] == key {
				return nil
			}
		}
		b, err := data()
		if err != nil {
			return err
		}
		return w(name, b)
	}
	render := func(name, tmplName string, p page) error {
		var buf bytes.Buffer
		if err := tmpl.ExecuteTemplate(&buf, tmplName, p); err != nil {
			return fmt.Errorf("rendering %s: %w", name, err)
		}
		return w(name, buf.Bytes())
	}
	renderKeyed := func(name, key, tmplName string, p page) error {
		return put(name, key, func() ([]byte, error) {
			var buf bytes.Buffer
			if err := tmpl.ExecuteTemplate(&buf, tmplName, p); err != nil {
				return nil, fmt.Errorf("rendering %s: %w", name, err)
			}
			return buf.Bytes(), nil
		})
	}
	for _, asset := range []string{"style.css", "search.js", "favicon.svg"} {
		data, err := templatesFS.ReadFile("templates/" + asset)
		if err != nil {
			return err
		}
		if err := put(asset, digest(data), func() ([]byte, error) { return data, nil }); err != nil {
			return err
		}
	}
	// Index: the home page.
	idx := base
	idx.Title = site.Name
	if idx.Title == "" {
		idx.Title = "TUF repository"
	}
	idx.Top = []*Role{repo.Root, repo.Targets, repo.Snapshot, repo.Timestamp}
	idx.Recent = recent(projects, 10)
	idx.Requests = site.Requests
	for _, r := range append(append([]*Role{}, idx.Top...), repo.Delegated...) {
		if expClass(r) != "" {
			idx.Expiring = append(idx.Expiring, r)
		}
		if (r.Missing && !r.NoReleases) || r.Error != "" || (!r.Met && !r.NoReleases) {
			if len(idx.Broken) < 20 {
				idx.Broken = append(idx.Broken, r)
			} else {
				idx.MoreBroken++
			}
		}
	}
	sort.SliceStable(idx.Expiring, func(i, j int) bool { return idx.Expiring[i].Expires.Before(idx.Expiring[j].Expires) })
	if len(idx.Expiring) > 20 {
		idx.MoreExpiring = len(idx.Expiring) - 20
		idx.Expiring = idx.Expiring[:20]
	}
	if len(repo.Delegated) > opts.InlineTree {
		groups := map[string][]*Role{}
		for _, r := range repo.Delegated {
			groups[letterOf(r.Name)] = append(groups[letterOf(r.Name)], r)
		}
		for _, k := range slices.Sorted(maps.Keys(groups)) {
			pg := "roles-" + safe(k) + ".html"
			idx.Letters = append(idx.Letters, letter{Letter: k, Page: pg, Count: len(groups[k])})
			lp := base
			lp.Title = fmt.Sprintf("Delegated roles: %s", k)
			lp.Roles = groups[k]
			if err := renderKeyed(pg, digest(roleStates(groups[k])), "list.html", lp); err != nil {
				return err
			}
		}
		for _, c := range repo.Targets.Children {
			idx.TopChildren = append(idx.TopChildren, repo.ByName[c])
		}
	} else {
		idx.TreeHTML = treeHTML(repo, metadata.TARGETS)
	}
	// Projects: the full list, or one page per first letter past
	// InlineTree; the home page links the letters (no JavaScript needed).
	if len(projects) > 0 {
		groups := map[string][]*Project{}
		for _, p := range projects {
			groups[letterOf(p.Name)] = append(groups[letterOf(p.Name)], p)
		}
		pl := base
		pl.Title = "Projects"
		if len(projects) > opts.InlineTree {
			for _, k := range slices.Sorted(maps.Keys(groups)) {
				pg := "projects-" + safe(k) + ".html"
				pl.ProjectLetters = append(pl.ProjectLetters, letter{Letter: k, Page: pg, Count: len(groups[k])})
				lp := base
				lp.Title = "Projects: " + k
				lp.Projects = groups[k]
				lp.ProjectLetters = nil
				if err := renderKeyed(pg, digest(projectRows(groups[k])), "projects.html", lp); err != nil {
					return err
				}
			}
		} else {
			pl.Projects = projects
		}
		idx.ProjectLetters = pl.ProjectLetters
		if err := renderKeyed("projects.html", digest(pl.ProjectLetters, projectRows(pl.Projects)), "projects.html", pl); err != nil {
			return err
		}
		var entries []searchEntry
		for _, p := range projects {
			e := searchEntry{Name: p.Name, Latest: p.Latest, Page: projectPage(p.Name)}
			if p.DisplayName != p.Name {
				e.Display = p.DisplayName
			}
			entries = append(entries, e)
		}
		data, err := json.Marshal(entries)
		if err != nil {
			return err
		}
		if err := put("search-index.json", digest(data), func() ([]byte, error) { return data, nil }); err != nil {
			return err
		}
		for _, p := range projects {
			if opts.Only != nil && !opts.Only[p.Name] {
				continue
			}
			pp := base
			pp.Title = p.DisplayName
			pp.Project = p
			role := repo.ByName[p.Name]
			if err := renderKeyed(projectPage(p.Name), digest(p, role.Sigs, base.TargetsURL, base.MetadataURL, site.Name), "project.html", pp); err != nil {
				return err
			}
		}
	}
	if err := render("index.html", "index.html", idx); err != nil {
		return err
	}
	if len(projects) > 0 {
		mp := idx
		mp.Title = "Signed metadata"
		if err := renderKeyed("metadata.html", digest(roleStates(append([]*Role{repo.Targets}, repo.Delegated...)), mp.Letters), "metadata.html", mp); err != nil {
			return err
		}
	}
	// Pending requests (the list also when it is empty, so that a list
	// an earlier build wrote does not stay behind).
	if len(site.Requests) > 0 || len(projects) > 0 {
		rp := base
		rp.Title = "Pending requests"
		rp.Requests = site.Requests
		if err := renderKeyed("requests.html", digest(site.Requests), "requests.html", rp); err != nil {
			return err
		}
		for i := range site.Requests {
			q := base
			q.Request = &site.Requests[i]
			q.Title = "Request " + q.Request.ID
			if err := renderKeyed(requestPage(q.Request.ID), digest(q.Request), "request.html", q); err != nil {
				return err
			}
		}
	}
	// Pages of one role are rendered again when the role changes.
	keyedRender := func(name, tmplName string, p page) error {
		r := p.Role
		return renderKeyed(name, roleKey(r, base.TargetsURL), tmplName, p)
	}
	// Root history and one page per root version.
	hist := base
	hist.Title = "Root history"
	for i, r := range repo.Roots {
		row := historyRow{Role: r}
		if i > 0 {
			row.Changes = rootChanges(repo.Roots[i-1], r)
		}
		hist.History = append(hist.History, row)
		if err := renderRole(keyedRender, base, r, fmt.Sprintf("root version %d", r.Version)); err != nil {
			return err
		}
	}
	if err := renderKeyed("root-history.html", digest(roleStates(repo.Roots)), "history.html", hist); err != nil {
		return err
	}
	// Top-level and delegated roles.
	for _, r := range append([]*Role{repo.Timestamp, repo.Snapshot, repo.Targets}, repo.Delegated...) {
		if opts.Only != nil && !opts.Only[r.Name] && r.Kind == "delegated" {
			continue
		}
		if r.Stub {
			key := roleKey(r, base.TargetsURL)
			if prev != nil && prev.Pages[rolePage(r)] == key {
				pages[rolePage(r)] = key
				continue
			}
			if err := repo.Fill(r); err != nil {
				return err
			}
		}
		if err := renderRole(keyedRender, base, r, r.Name); err != nil {
			return err
		}
	}
	// Raw files.
	for _, r := range append(append([]*Role{}, repo.Roots...), append([]*Role{repo.Timestamp, repo.Snapshot, repo.Targets}, repo.Delegated...)...) {
		if (r.Raw == nil && !r.Stub) || (opts.Only != nil && r.Kind == "delegated" && !opts.Only[r.Name]) {
			continue
		}
		r := r
		if err := put("raw/"+rawName(r.File), digest(r.Digest), func() ([]byte, error) {
			if err := repo.Fill(r); err != nil {
				return nil, err
			}
			return r.Raw, nil
		}); err != nil {
			return err
		}
	}
	// Pages of requests that are no longer pending say so.
	if prev != nil {
		for _, name := range slices.Sorted(maps.Keys(prev.Pages)) {
			if _, ok := pages[name]; ok || !strings.HasPrefix(name, "request-") {
				continue
			}
			g := base
			g.Title = "Request " + strings.TrimSuffix(strings.TrimPrefix(name, "request-"), ".html")
			if err := render(name, "gone.html", g); err != nil {
				return err
			}
		}
	}
	// Pages of projects that are no longer delegated say the project was
	// removed, and link no download.
	if prev != nil && opts.Only == nil {
		if err := renderRemoved(prev, pages, site, base, render); err != nil {
			return err
		}
	}
	if opts.Manifest != nil {
		m := opts.Manifest
		m.Format = manifestFormat
		m.Judged = repo.judged
		m.Roles = repo.roles
		if opts.Only != nil && prev != nil {
			for k, v := range prev.Pages {
				if _, ok := pages[k]; !ok {
					pages[k] = v
				}
			}
		}
		m.Pages = pages
		if site.Memo != nil {
			m.Site = site.Memo
		}
		data, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if err := w(ManifestName, data); err != nil {
			return err
		}
	}
	return nil
}

// recent lists the newest releases across projects (those with a date).
func recent(projects []*Project, n int) []recentRow {
	var out []recentRow
	for _, p := range projects {
		for _, r := range p.Releases {
			if !r.Date.IsZero() && !r.Yanked {
				out = append(out, recentRow{Project: p, Version: r.Version, Date: r.Date})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Date.Equal(out[j].Date) {
			return out[i].Date.After(out[j].Date)
		}
		return out[i].Project.Name < out[j].Project.Name
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

func renderRole(render func(string, string, page) error, base page, r *Role, title string) error {
	p := base
	p.Title = title
	p.Role = r
	switch {
	case r.RootMeta != nil:
		p.RootKeys = keysTable("Keys", r.RootMeta.Signed.Keys)
		for _, name := range slices.Sorted(maps.Keys(r.RootMeta.Signed.Roles)) {
			role := r.RootMeta.Signed.Roles[name]
			p.RootRoles = append(p.RootRoles, rootRole{Name: name, Threshold: role.Threshold, KeyIDs: role.KeyIDs})
		}
		p.Unrecognized = pretty(r.RootMeta.Signed.UnrecognizedFields)
	case r.TimestampMeta != nil:
		p.MetaFiles = metaRows(r.TimestampMeta.Signed.Meta)
		p.Unrecognized = pretty(r.TimestampMeta.Signed.UnrecognizedFields)
	case r.SnapshotMeta != nil:
		p.MetaFiles = metaRows(r.SnapshotMeta.Signed.Meta)
		p.Unrecognized = pretty(r.SnapshotMeta.Signed.UnrecognizedFields)
	case r.TargetsMeta != nil:
		t := r.TargetsMeta.Signed
		if t.Delegations != nil {
			p.DelegKeys = keysTable("Delegation keys", t.Delegations.Keys)
			p.Delegations = t.Delegations.Roles
			if t.Delegations.SuccinctRoles != nil {
				p.Succinct = t.Delegations.SuccinctRoles
				_, p.SuccinctBins = t.Delegations.SuccinctRoles.GetSuffixLen()
			}
		}
		for _, path := range slices.Sorted(maps.Keys(t.Targets)) {
			tf := t.Targets[path]
			row := targetRow{Path: path, Length: tf.Length}
			if p.Repo != nil && p.Repo.Root != nil && p.Repo.Root.RootMeta != nil {
				row.URL = TargetURL(p.TargetsURL, path, tf, p.Repo.Root.RootMeta.Signed.ConsistentSnapshot)
			}
			for _, alg := range slices.Sorted(maps.Keys(tf.Hashes)) {
				row.Hashes = append(row.Hashes, alg+":"+hex.EncodeToString(tf.Hashes[alg]))
			}
			if tf.Custom != nil {
				var v any
				if json.Unmarshal(*tf.Custom, &v) == nil {
					row.Custom = pretty(v)
				} else {
					row.Custom = string(*tf.Custom)
				}
			}
			p.Targets = append(p.Targets, row)
		}
		p.Unrecognized = pretty(t.UnrecognizedFields)
	}
	return render(rolePage(r), "role.html", p)
}

func keysTable(caption string, keys map[string]*metadata.Key) *keyTable {
	t := &keyTable{Caption: fmt.Sprintf("%s (%d)", caption, len(keys))}
	for _, id := range slices.Sorted(maps.Keys(keys)) {
		k := keys[id]
		if k == nil {
			continue
		}
		t.Keys = append(t.Keys, keyRow{ID: id, Type: k.Type, Scheme: k.Scheme, Owner: KeyOwner(k)})
	}
	return t
}

func metaRows(m map[string]*metadata.MetaFiles) []metaFile {
	var out []metaFile
	for _, name := range slices.Sorted(maps.Keys(m)) {
		mf := m[name]
		row := metaFile{Name: name, Version: mf.Version, Length: mf.Length}
		for _, alg := range slices.Sorted(maps.Keys(mf.Hashes)) {
			row.Hashes = append(row.Hashes, alg+":"+hex.EncodeToString(mf.Hashes[alg]))
		}
		out = append(out, row)
	}
	return out
}

func pretty(v any) string {
	if v == nil {
		return ""
	}
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		return ""
	}
	// Shown as text (html/template escapes it): no \u003c for people to read.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(buf.String())
}

// rootChanges says what changed from one root version to the next.
func rootChanges(prev, cur *Role) []string {
	if prev.RootMeta == nil || cur.RootMeta == nil {
		return nil
	}
	var out []string
	a, b := prev.RootMeta.Signed, cur.RootMeta.Signed
	for _, id := range slices.Sorted(maps.Keys(b.Keys)) {
		if _, ok := a.Keys[id]; !ok {
			out = append(out, fmt.Sprintf("key %s added (%s)", short(id), b.Keys[id].Type))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(a.Keys)) {
		if _, ok := b.Keys[id]; !ok {
			out = append(out, fmt.Sprintf("key %s removed", short(id)))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(b.Roles)) {
		nr, or := b.Roles[name], a.Roles[name]
		if or == nil {
			out = append(out, fmt.Sprintf("role %s added", name))
			continue
		}
		if nr.Threshold != or.Threshold {
			out = append(out, fmt.Sprintf("%s threshold %d → %d", name, or.Threshold, nr.Threshold))
		}
		for _, id := range nr.KeyIDs {
			if !slices.Contains(or.KeyIDs, id) {
				out = append(out, fmt.Sprintf("%s may now be signed by %s", name, short(id)))
			}
		}
		for _, id := range or.KeyIDs {
			if !slices.Contains(nr.KeyIDs, id) {
				out = append(out, fmt.Sprintf("%s no longer signed by %s", name, short(id)))
			}
		}
	}
	if a.ConsistentSnapshot != b.ConsistentSnapshot {
		out = append(out, fmt.Sprintf("consistent snapshots %v → %v", a.ConsistentSnapshot, b.ConsistentSnapshot))
	}
	return out
}

func treeHTML(repo *Repo, name string) template.HTML {
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "tree", treeNode{Repo: repo, Role: repo.ByName[name]}); err != nil {
		return template.HTML(template.HTMLEscapeString(err.Error()))
	}
	return template.HTML(buf.String())
}

type treeNode struct {
	Repo *Repo
	Role *Role
}

var funcs = template.FuncMap{
	"rolePage":       rolePage,
	"rolePageName":   func(_ string, name string) string { return rolePageName(name) },
	"projectPage":    projectPage,
	"requestPage":    requestPage,
	"owner":          func(keys map[string]*metadata.Key, id string) string { return KeyOwner(keys[id]) },
	"thresholdWords": ThresholdWords,
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	},
	"datetime": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"ago": func(now, t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return human(now.Sub(t)) + " ago"
	},
	"size":        humanSize,
	"plus":        func(a, b int) int { return a + b },
	"rawName":     rawName,
	"short":       short,
	"expires":     expires,
	"expClass":    expClass,
	"expSoon":     func(r *Role) bool { return expClass(r) != "" },
	"sigSummary":  sigSummary,
	"statusClass": func(s string) string { return strings.Fields(s + " x")[0] },
	"kids": func(n treeNode) []treeNode {
		var out []treeNode
		for _, c := range n.Role.Children {
			out = append(out, treeNode{Repo: n.Repo, Role: n.Repo.ByName[c]})
		}
		return out
	},
}

func rolePage(r *Role) string {
	if r.Kind == metadata.ROOT {
		return fmt.Sprintf("root-%d.html", r.Version)
	}
	return rolePageName(r.Name)
}

func rolePageName(name string) string {
	if name == metadata.ROOT || name == "root" {
		return "root-history.html"
	}
	return "role-" + safe(name) + ".html"
}

func projectPage(name string) string { return "project-" + safe(name) + ".html" }

func requestPage(id string) string { return "request-" + safe(id) + ".html" }

// safe turns any role name into a file name: letters, digits, '-' and '_'
// stay, every other byte becomes ~XX. No name can climb out of the site.
func safe(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && (unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)) || c == '-' || c == '_') {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "~%02x", c)
		}
	}
	if b.Len() == 0 {
		return "~"
	}
	return b.String()
}

func rawName(file string) string {
	name := strings.TrimSuffix(file, ".json")
	return safe(name) + ".json"
}

// letterOf is the index page a name is listed on: its first character
// when that is an ASCII letter or digit, else "other".
func letterOf(name string) string {
	r, _ := utf8.DecodeRuneInString(name)
	if r = unicode.ToLower(r); r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
		return string(r)
	}
	return "other"
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func expires(r *Role) string {
	if r.Expires.IsZero() {
		return ""
	}
	d := r.Expires.Sub(r.nowOf())
	if d < 0 {
		return "expired " + human(-d) + " ago"
	}
	return "expires in " + human(d)
}

func human(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	}
	return fmt.Sprintf("%d minutes", int(d/time.Minute))
}

// nowOf is set by Load through the repository; roles share it.
func (r *Role) nowOf() time.Time {
	if r.now.IsZero() {
		return time.Now()
	}
	return r.now
}

// expClass: "expired", "soon" (little validity left for the kind of
// role), or "".
func expClass(r *Role) string {
	if r.Expires.IsZero() || r.Missing {
		return ""
	}
	left := r.Expires.Sub(r.nowOf())
	if left < 0 {
		return "expired"
	}
	soon := 14 * 24 * time.Hour
	switch r.Kind {
	case metadata.TIMESTAMP:
		soon = 6 * time.Hour
	case metadata.SNAPSHOT:
		soon = 24 * time.Hour
	}
	if left < soon {
		return "soon"
	}
	return ""
}

func sigSummary(r *Role) string {
	if r.Missing {
		return "no file"
	}
	var invalid, unknown int
	for _, s := range r.Sigs {
		switch s.Status {
		case "invalid":
			invalid++
		case "unknown key":
			unknown++
		}
	}
	s := fmt.Sprintf("%d valid of %d needed", r.Valid, r.Threshold)
	if invalid > 0 {
		s += fmt.Sprintf(", %d INVALID", invalid)
	}
	if unknown > 0 {
		s += fmt.Sprintf(", %d from unknown keys", unknown)
	}
	if !r.Met {
		s += " — threshold NOT met"
	}
	return s
}

func humanSize(n int64) string {
	switch {
	case n >= 10<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 10<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// roleState is what a list of roles shows of each.
type roleState struct {
	Name, Delegator, Exp string
	Version              int64
	Missing, Met         bool
	NoReleases           bool
	Error                string
	Sigs                 []Sig
	Raw                  string
}

func roleStates(roles []*Role) []roleState {
	out := make([]roleState, 0, len(roles))
	for _, r := range roles {
		out = append(out, roleState{Name: r.Name, Delegator: r.Delegator, Exp: expClass(r), Version: r.Version, Missing: r.Missing, NoReleases: r.NoReleases,
			Met: r.Met, Error: r.Error, Sigs: r.Sigs, Raw: r.Digest})
	}
	return out
}

// projectRow is what a list of projects shows of each.
type projectRow struct {
	Name, Display, Latest string
	Updated               time.Time
	Releases, Threshold   int
	Maintainers           int
}

func projectRows(ps []*Project) []projectRow {
	out := make([]projectRow, 0, len(ps))
	for _, p := range ps {
		out = append(out, projectRow{p.Name, p.DisplayName, p.Latest, p.Updated, len(p.Releases), p.Threshold, len(p.Maintainers)})
	}
	return out
}

// roleKey digests what a role's page shows.
func roleKey(r *Role, targetsURL string) string {
	return digest(r.Digest, r.Sigs, r.Missing, r.NoReleases, r.Error, r.Delegator, r.Children, r.Threshold, targetsURL, expClass(r))
}

// removedProject is what a removed project's page says.
type removedProject struct {
	Name string
	// Event is the change that removed it, from git history: its Changes
	// come from signed metadata, its date and author from git.
	Event *Event
}

// renderRemoved replaces the page of each project the previous build had
// and this one has not: the project was removed, and its old page would
// still offer its releases. Like a gone request's page it is written once.
func renderRemoved(prev *Manifest, pages map[string]string, site *Site, base page, render func(name, tmplName string, p page) error) error {
	names := map[string]string{}
	if site.Memo != nil {
		for name := range site.Memo.History {
			names[projectPage(name)] = name
		}
	}
	for _, page := range slices.Sorted(maps.Keys(prev.Pages)) {
		if _, ok := pages[page]; ok || !strings.HasPrefix(page, "project-") {
			continue
		}
		name, ok := names[page]
		if !ok {
			name = strings.TrimSuffix(strings.TrimPrefix(page, "project-"), ".html")
		}
		rp := &removedProject{Name: name}
		if site.Memo != nil {
		events:
			for _, ev := range site.Memo.History[name] {
				for _, c := range ev.Changes {
					if strings.Contains(c, "project removed") {
						ev := ev
						rp.Event = &ev
						break events
					}
				}
			}
		}
		g := base
		g.Title = name + " (removed)"
		g.Removed = rp
		if err := render(page, "removed.html", g); err != nil {
			return err
		}
	}
	return nil
}
