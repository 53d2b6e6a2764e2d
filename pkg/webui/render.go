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
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/atomicfile"
)

//go:embed templates/*.html templates/style.css
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
	// past it, roles are listed on one page per first letter.
	InlineTree int
	// Only, when set, limits the per-role and per-project pages to these
	// roles (the index and summary pages are always rebuilt).
	Only map[string]bool
}

// page is what every template gets.
type page struct {
	Title, Up, Generated string
	HasProjects          bool
	Repo                 *Repo
	// index
	Top         []*Role
	Letters     []letter
	TopChildren []*Role
	TreeHTML    template.HTML
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
}

type letter struct {
	Letter, Page string
	Count        int
}
type keyTable struct {
	Caption string
	Keys    []keyRow
}
type keyRow struct{ ID, Type, Scheme string }
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
}
type historyRow struct {
	Role    *Role
	Changes []string
}

// Build renders every page of repo through w.
func Build(repo *Repo, w Writer, opts Options) error {
	if opts.InlineTree == 0 {
		opts.InlineTree = 300
	}
	gen := repo.Now.UTC().Format("2006-01-02 15:04 UTC")
	projects := FindProjects(repo)
	base := page{Generated: gen, Repo: repo, HasProjects: len(projects) > 0}
	css, err := templatesFS.ReadFile("templates/style.css")
	if err != nil {
		return err
	}
	if err := w("style.css", css); err != nil {
		return err
	}
	render := func(name, tmplName string, p page) error {
		var buf bytes.Buffer
		if err := tmpl.ExecuteTemplate(&buf, tmplName, p); err != nil {
			return fmt.Errorf("rendering %s: %w", name, err)
		}
		return w(name, buf.Bytes())
	}
	// Index.
	idx := base
	idx.Title = "TUF repository"
	idx.Top = []*Role{repo.Root, repo.Targets, repo.Snapshot, repo.Timestamp}
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
			if err := render(pg, "list.html", lp); err != nil {
				return err
			}
		}
		for _, c := range repo.Targets.Children {
			idx.TopChildren = append(idx.TopChildren, repo.ByName[c])
		}
	} else {
		idx.TreeHTML = treeHTML(repo, metadata.TARGETS)
	}
	if err := render("index.html", "index.html", idx); err != nil {
		return err
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
		if err := renderRole(render, base, r, fmt.Sprintf("root version %d", r.Version)); err != nil {
			return err
		}
	}
	if err := render("root-history.html", "history.html", hist); err != nil {
		return err
	}
	// Top-level and delegated roles.
	for _, r := range append([]*Role{repo.Timestamp, repo.Snapshot, repo.Targets}, repo.Delegated...) {
		if opts.Only != nil && !opts.Only[r.Name] && r.Kind == "delegated" {
			continue
		}
		if err := renderRole(render, base, r, r.Name); err != nil {
			return err
		}
	}
	// The tufgit layer: projects and releases.
	if len(projects) > 0 {
		pl := base
		pl.Title = "Projects"
		pl.Projects = projects
		if err := render("projects.html", "projects.html", pl); err != nil {
			return err
		}
		for _, p := range projects {
			if opts.Only != nil && !opts.Only[p.Name] {
				continue
			}
			pp := base
			pp.Title = "Project " + p.Name
			pp.Project = p
			if err := render(projectPage(p.Name), "projects.html", pp); err != nil {
				return err
			}
		}
	}
	// Raw files.
	for _, r := range append(append([]*Role{}, repo.Roots...), append([]*Role{repo.Timestamp, repo.Snapshot, repo.Targets}, repo.Delegated...)...) {
		if r.Raw == nil || (opts.Only != nil && r.Kind == "delegated" && !opts.Only[r.Name]) {
			continue
		}
		if err := w("raw/"+rawName(r.File), r.Raw); err != nil {
			return err
		}
	}
	return nil
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
		t.Keys = append(t.Keys, keyRow{ID: id, Type: k.Type, Scheme: k.Scheme})
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
	"rolePage":     rolePage,
	"rolePageName": func(_ string, name string) string { return rolePageName(name) },
	"projectPage":  projectPage,
	"rawName":      rawName,
	"short":        short,
	"expires":      expires,
	"expClass":     expClass,
	"expSoon":      func(r *Role) bool { return expClass(r) != "" },
	"sigSummary":   sigSummary,
	"statusClass":  func(s string) string { return strings.Fields(s + " x")[0] },
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
