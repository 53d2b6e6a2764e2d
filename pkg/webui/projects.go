package webui

// The tufgit layer: pages for projects and releases. A role counts as a
// tufgit project when it is delegated exactly NAME/*/* and every target it
// lists is NAME/VERSION/FILENAME. Repositories without such roles get no
// project pages; nothing else in this package depends on tufgit.

import (
	"encoding/hex"
	"encoding/json"
	"sort"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
)

// Project is a tufgit project as its signed role shows it.
type Project struct {
	Name        string
	Threshold   int
	Maintainers []keyRow
	Releases    []ProjectRelease
	Latest      string
	// Recovery is set when the role records that the admins replaced
	// every maintainer key (the maintainers had lost theirs).
	Recovery *layout.Recovery
}

// ProjectRelease is one version of a project.
type ProjectRelease struct {
	Version    string
	Yanked     bool
	YankReason string
	Files      []ProjectFile
}

// ProjectFile is one file of a release.
type ProjectFile struct {
	Name   string
	Length int64
	SHA256 string
}

// FindProjects lists the tufgit projects of a repository, by name.
func FindProjects(repo *Repo) []*Project {
	var out []*Project
	for _, r := range repo.Delegated {
		if r.Missing || r.TargetsMeta == nil || !layout.IsNormalizedProjectName(r.Name) {
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
		p := &Project{Name: r.Name, Threshold: deleg.Threshold}
		for _, id := range deleg.KeyIDs {
			if k := parent.TargetsMeta.Signed.Delegations.Keys[id]; k != nil {
				p.Maintainers = append(p.Maintainers, keyRow{ID: id, Type: k.Type, Scheme: k.Scheme})
			}
		}
		if raw, ok := r.TargetsMeta.Signed.UnrecognizedFields[layout.RecoveryField]; ok {
			if b, err := json.Marshal(raw); err == nil {
				var rec layout.Recovery
				if json.Unmarshal(b, &rec) == nil && !rec.At.IsZero() {
					p.Recovery = &rec
				}
			}
		}
		byV := map[string]*ProjectRelease{}
		ok := true
		for path, tf := range r.TargetsMeta.Signed.Targets {
			proj, v, f, err := layout.ParseTargetPath(path)
			if err != nil || proj != r.Name {
				ok = false
				break
			}
			rel := byV[v]
			if rel == nil {
				rel = &ProjectRelease{Version: v}
				byV[v] = rel
			}
			rel.Files = append(rel.Files, ProjectFile{Name: f, Length: tf.Length, SHA256: hex.EncodeToString(tf.Hashes["sha256"])})
			if tf.Custom != nil {
				if c, err := layout.ParseTargetCustom(*tf.Custom); err == nil && c.Yanked {
					rel.Yanked, rel.YankReason = true, c.YankReason
				}
			}
		}
		if !ok {
			continue
		}
		for _, rel := range byV {
			sort.Slice(rel.Files, func(i, j int) bool { return rel.Files[i].Name < rel.Files[j].Name })
			p.Releases = append(p.Releases, *rel)
		}
		sort.Slice(p.Releases, func(i, j int) bool { return layout.CompareVersions(p.Releases[i].Version, p.Releases[j].Version) < 0 })
		for i := len(p.Releases) - 1; i >= 0; i-- {
			if !p.Releases[i].Yanked {
				p.Latest = p.Releases[i].Version
				break
			}
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
