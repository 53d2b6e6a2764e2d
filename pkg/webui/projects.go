package webui

// The tufgit layer: pages for projects and releases. A role counts as a
// tufgit project when it is delegated exactly NAME/*/* and every target it
// lists is NAME/VERSION/FILENAME. Repositories without such roles get no
// project pages; nothing else in this package depends on tufgit.

import (
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
)

// Project is a tufgit project as its signed role shows it.
type Project struct {
	Name        string
	DisplayName string
	Threshold   int
	Maintainers []keyRow
	// Releases, newest first.
	Releases []ProjectRelease
	Latest   string
	// LatestRelease is the release Latest names, nil without one.
	LatestRelease *ProjectRelease `json:"-"`
	// Updated is when the newest release appeared (zero if unknown).
	Updated time.Time
	// History is what git says happened to the project, newest first.
	History []Event
	// Requests are the pending requests about the project.
	Requests []Request
	// Recovery is set when the role records that the admins replaced
	// every maintainer key (the maintainers had lost theirs).
	Recovery *layout.Recovery
}

// ProjectRelease is one version of a project.
type ProjectRelease struct {
	Version    string
	Yanked     bool
	YankReason string
	Latest     bool
	Date       time.Time // first seen in the repository's history; zero if unknown
	Files      []ProjectFile
}

// ProjectFile is one file of a release.
type ProjectFile struct {
	Name   string
	Length int64
	SHA256 string
	// URL downloads the file from the mirror (consistent-snapshot name
	// HASH.NAME when the repository uses them).
	URL string
}

// FindProjects lists the tufgit projects of a repository, by name.
func FindProjects(repo *Repo) []*Project { return findProjects(repo, nil) }

func findProjects(repo *Repo, site *Site) []*Project {
	if site == nil {
		site = &Site{}
	}
	consistent := repo.Root.RootMeta != nil && repo.Root.RootMeta.Signed.ConsistentSnapshot
	base := site.TargetsURL
	if base == "" {
		base = "../targets/"
	}
	var dates map[string]map[string]time.Time
	var history map[string][]Event
	if site.Memo != nil {
		dates, history = site.Memo.Dates, site.Memo.History
	}
	reqs := map[string][]Request{}
	for _, rq := range site.Requests {
		if rq.Project != "" && !rq.Withdrawn {
			reqs[rq.Project] = append(reqs[rq.Project], rq)
		}
	}
	var out []*Project
	for _, r := range repo.Delegated {
		if r.Missing && !r.NoReleases || (r.TargetsMeta == nil && !r.Stub && !r.NoReleases) || !layout.IsNormalizedProjectName(r.Name) {
			continue
		}
		parent := repo.ByName[r.Delegator]
		if parent == nil || parent.TargetsMeta == nil || parent.TargetsMeta.Signed.Delegations == nil {
			continue
		}
		var deleg *metadata.DelegatedRole
		for i, d := range parent.TargetsMeta.Signed.Delegations.Roles {
			if d.Name == r.Name {
				deleg = &parent.TargetsMeta.Signed.Delegations.Roles[i]
			}
		}
		if deleg == nil || len(deleg.Paths) != 1 || deleg.Paths[0] != layout.ProjectPathPattern(r.Name) {
			continue
		}
		info := site.Projects[r.Name]
		p := &Project{Name: r.Name, DisplayName: info.DisplayName, Threshold: deleg.Threshold, History: history[r.Name], Requests: reqs[r.Name]}
		if p.DisplayName == "" {
			p.DisplayName = r.Name
		}
		for _, id := range deleg.KeyIDs {
			if k := parent.TargetsMeta.Signed.Delegations.Keys[id]; k != nil {
				// The owner the delegator signs in the key object wins; a
				// label only the unsigned project config gives is shown
				// as such.
				row := keyRow{ID: id, Type: k.Type, Scheme: k.Scheme, Owner: KeyOwner(k)}
				if l := info.Labels[id]; l != "" && row.Owner == "" {
					row.Owner, row.OwnerUnsigned = l, true
				}
				p.Maintainers = append(p.Maintainers, row)
			}
		}
		sort.SliceStable(p.Maintainers, func(i, j int) bool { return p.Maintainers[i].Owner < p.Maintainers[j].Owner })
		if r.NoReleases {
			out = append(out, p)
			continue
		}
		leaf := repo.leafProject(r, base, consistent)
		if leaf == nil {
			continue
		}
		p.Recovery = leaf.Recovery
		p.Releases = make([]ProjectRelease, len(leaf.Releases))
		copy(p.Releases, leaf.Releases)
		for i := range p.Releases {
			p.Releases[i].Date = dates[r.Name][p.Releases[i].Version]
			if p.Releases[i].Date.After(p.Updated) {
				p.Updated = p.Releases[i].Date
			}
		}
		for i := range p.Releases {
			if !p.Releases[i].Yanked {
				p.Latest = p.Releases[i].Version
				p.Releases[i].Latest = true
				p.LatestRelease = &p.Releases[i]
				break
			}
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// markNoReleases sets NoReleases on each delegated role that is a tufgit
// project without releases: delegated exactly NAME/*/*, no metadata file,
// and not listed by the snapshot (a role the snapshot lists but the mirror
// lacks stays missing: that is a fault).
func markNoReleases(repo *Repo) {
	var listed map[string]*metadata.MetaFiles
	if repo.Snapshot != nil && repo.Snapshot.SnapshotMeta != nil {
		listed = repo.Snapshot.SnapshotMeta.Signed.Meta
	}
	if listed == nil {
		return // no snapshot to tell: stay careful
	}
	for _, r := range repo.Delegated {
		if !r.Missing || !layout.IsNormalizedProjectName(r.Name) {
			continue
		}
		if _, ok := listed[r.Name+".json"]; ok {
			continue
		}
		parent := repo.ByName[r.Delegator]
		if parent == nil || parent.TargetsMeta == nil || parent.TargetsMeta.Signed.Delegations == nil {
			continue
		}
		for _, d := range parent.TargetsMeta.Signed.Delegations.Roles {
			if d.Name == r.Name && len(d.Paths) == 1 && d.Paths[0] == layout.ProjectPathPattern(r.Name) {
				r.NoReleases = true
			}
		}
	}
}

// TargetURL is where a mirror serves a target file: under base, by its
// consistent-snapshot name HASH.NAME (the sha256, else the first hash)
// when root says so, else by its path. Each path segment is escaped.
func TargetURL(base, targetPath string, tf *metadata.TargetFiles, consistent bool) string {
	dir, name := path.Split(targetPath)
	if consistent && tf != nil {
		alg := "sha256"
		if _, ok := tf.Hashes[alg]; !ok {
			for _, a := range slices.Sorted(maps.Keys(tf.Hashes)) {
				alg = a
				break
			}
		}
		if h, ok := tf.Hashes[alg]; ok {
			name = hex.EncodeToString(h) + "." + name
		}
	}
	var segs []string
	for _, s := range strings.Split(dir+name, "/") {
		segs = append(segs, url.PathEscape(s))
	}
	return base + strings.Join(segs, "/")
}

// leafProject is what a role's own metadata says of its project: its
// releases, newest first, and a recorded recovery; nil when its targets
// are not all NAME/VERSION/FILE. An unchanged role's is taken from the
// manifest without reading the role.
func (repo *Repo) leafProject(r *Role, base string, consistent bool) *cachedProject {
	if r.Stub {
		c := repo.cached[r.Name]
		if c.NotProject {
			repo.remember(r, nil, true)
			return nil
		}
		if c.Project != nil && c.Project.TargetsURL == base {
			repo.remember(r, c.Project, false)
			return c.Project
		}
		if err := repo.Fill(r); err != nil {
			return nil
		}
	}
	out := &cachedProject{TargetsURL: base}
	if raw, ok := r.TargetsMeta.Signed.UnrecognizedFields[layout.RecoveryField]; ok {
		if b, err := json.Marshal(raw); err == nil {
			var rec layout.Recovery
			if json.Unmarshal(b, &rec) == nil && !rec.At.IsZero() {
				out.Recovery = &rec
			}
		}
	}
	byV := map[string]*ProjectRelease{}
	for path, tf := range r.TargetsMeta.Signed.Targets {
		proj, v, f, err := layout.ParseTargetPath(path)
		if err != nil || proj != r.Name {
			repo.remember(r, nil, true)
			return nil
		}
		rel := byV[v]
		if rel == nil {
			rel = &ProjectRelease{Version: v}
			byV[v] = rel
		}
		rel.Files = append(rel.Files, ProjectFile{Name: f, Length: tf.Length, SHA256: hex.EncodeToString(tf.Hashes["sha256"]), URL: TargetURL(base, path, tf, consistent)})
		if tf.Custom != nil {
			if c, err := layout.ParseTargetCustom(*tf.Custom); err == nil && c.Yanked {
				rel.Yanked, rel.YankReason = true, c.YankReason
			}
		}
	}
	for _, rel := range byV {
		sort.Slice(rel.Files, func(i, j int) bool { return rel.Files[i].Name < rel.Files[j].Name })
		out.Releases = append(out.Releases, *rel)
	}
	sort.Slice(out.Releases, func(i, j int) bool {
		return layout.CompareVersions(out.Releases[i].Version, out.Releases[j].Version) > 0
	})
	repo.remember(r, out, false)
	return out
}

// remember records what the next build may reuse of a role.
func (repo *Repo) remember(r *Role, p *cachedProject, notProject bool) {
	if repo.roles == nil {
		repo.roles = map[string]CachedRole{}
	}
	c, ok := repo.roles[r.Name]
	if !ok {
		return // not cacheable (delegates, or unreadable)
	}
	c.Project, c.NotProject = p, notProject
	repo.roles[r.Name] = c
}
