package repo

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
)

// clone deep-copies metadata through its JSON form.
func clone[T metadata.Roles](m *metadata.Metadata[T]) (*metadata.Metadata[T], error) {
	raw, err := m.ToBytes(false)
	if err != nil {
		return nil, err
	}
	return (&metadata.Metadata[T]{}).FromBytes(raw)
}

// NewMaintainer is a key to list for a project, with its label.
type NewMaintainer struct {
	Name string
	Key  *keys.Key
}

// ProjectCreateOptions describe a new project.
type ProjectCreateOptions struct {
	Name        string // as the user typed it; normalized here
	Maintainers []NewMaintainer
	Threshold   int
	Key         *keys.Key
	Note        string
	SubmitOptions
}

// lookupProject normalizes name and finds its delegation.
func (s *Session) lookupProject(name string) (string, *trust.Delegation, string, error) {
	n, err := layout.NormalizeProjectName(name)
	if err != nil {
		return "", nil, "", err
	}
	if err := s.requireRoot(); err != nil {
		return "", nil, "", err
	}
	d, parent, err := s.View.Delegation(n)
	if err != nil {
		return n, nil, "", fmt.Errorf("%w %q (list projects with `tufgit project list`)", ErrUnknownProject, n)
	}
	return n, d, parent, nil
}

// CreateProject delegates a new project from its index role (splitting the
// index role when it grows past index.max_projects). Admin keys sign it; any
// other key leaves a request for the admins.
func (s *Session) CreateProject(o ProjectCreateOptions) (*Result, error) {
	name, err := layout.NormalizeProjectName(o.Name)
	if err != nil {
		return nil, err
	}
	if err := s.requireRoot(); err != nil {
		return nil, err
	}
	if _, _, err := s.View.Delegation(name); err == nil {
		if name != o.Name {
			return nil, fmt.Errorf("%w: %q normalizes to %q, which exists", ErrProjectExists, o.Name, name)
		}
		return nil, fmt.Errorf("%w: %s", ErrProjectExists, name)
	}
	ks := make([]*keys.Key, len(o.Maintainers))
	for i, m := range o.Maintainers {
		ks[i] = m.Key
	}
	if err := checkKeySet("maintainers", ks, o.Threshold); err != nil {
		return nil, err
	}
	idxName, err := s.View.IndexFor(name)
	if err != nil {
		return nil, err
	}
	idx, err := s.View.Role(idxName)
	if err != nil {
		return nil, err
	}
	m, err := clone(idx.Meta)
	if err != nil {
		return nil, err
	}
	if m.Signed.Delegations == nil {
		m.Signed.Delegations = &metadata.Delegations{Keys: map[string]*metadata.Key{}}
	}
	if m.Signed.Delegations.Keys == nil {
		m.Signed.Delegations.Keys = map[string]*metadata.Key{}
	}
	for i, k := range ks {
		m.Signed.Delegations.Keys[k.ID] = labelled(k.Public, o.Maintainers[i].Name)
	}
	m.Signed.Delegations.Roles = append(m.Signed.Delegations.Roles, metadata.DelegatedRole{
		Name: name, KeyIDs: keyIDs(ks), Threshold: o.Threshold, Terminating: true,
		Paths: []string{layout.ProjectPathPattern(name)},
	})
	roles, err := s.splitIfFull(idxName, m)
	if err != nil {
		return nil, err
	}
	pc := &layout.ProjectConfig{Type: layout.ProjectConfigType, FormatVersion: layout.FormatVersion, Name: name, Created: s.Now.UTC().Truncate(time.Second)}
	if o.Name != name {
		pc.DisplayName = o.Name
	}
	for _, mt := range o.Maintainers {
		pc.Maintainers = append(pc.Maintainers, layout.Maintainer{KeyID: mt.Key.ID, Name: mt.Name})
	}
	ch := &Change{Kind: layout.KindProjectCreate, Project: name, Subject: name + ": create project", Roles: roles, ProjectConfig: pc, Note: o.Note}
	return s.submitAllowUnsigned(ch, o.Key, o.SubmitOptions)
}

// submitAllowUnsigned is Submit where a key that may sign nothing still
// files the request (for the admins), unsigned.
func (s *Session) submitAllowUnsigned(ch *Change, key *keys.Key, o SubmitOptions) (*Result, error) {
	res, err := s.Submit(ch, key, o)
	var na *NotAuthorizedError
	if errors.As(err, &na) {
		return s.Submit(ch, nil, o)
	}
	return res, err
}

// splitIfFull returns the roles to write for an index role m that just
// gained a project: m itself, or, when it now delegates more than
// index.max_projects projects, m and the new child index roles that take
// over its projects by their next character.
func (s *Session) splitIfFull(idxName string, m *metadata.Metadata[metadata.TargetsType]) (map[string]*metadata.Metadata[metadata.TargetsType], error) {
	roles := map[string]*metadata.Metadata[metadata.TargetsType]{idxName: m}
	var projects []string
	entries := map[string]metadata.DelegatedRole{}
	for _, r := range m.Signed.Delegations.Roles {
		if layout.RoleKind(r.Name) == layout.KindProjectRole {
			projects = append(projects, r.Name)
			entries[r.Name] = r
		}
	}
	if len(projects) <= s.Config.Index.MaxProjects {
		return roles, nil
	}
	prefix, ok := layout.IndexPrefix(idxName)
	if !ok {
		return nil, fmt.Errorf("%s is not an index role", idxName)
	}
	root, err := s.View.Root()
	if err != nil {
		return nil, err
	}
	admin, err := trust.FromRoot(root, layout.RoleTargets)
	if err != nil {
		return nil, err
	}
	plan := layout.PlanIndex(prefix, projects, s.Config.Index.MaxProjects)
	allKeys := m.Signed.Delegations.Keys // m's own delegations are replaced below
	build := func(node layout.IndexNode, base *metadata.Metadata[metadata.TargetsType]) {
		del := &metadata.Delegations{Keys: map[string]*metadata.Key{}}
		if base != nil && base.Signed.Delegations != nil {
			// Keep the existing child index roles.
			for _, r := range base.Signed.Delegations.Roles {
				if layout.RoleKind(r.Name) == layout.KindIndexRole {
					del.Roles = append(del.Roles, r)
					for _, id := range r.KeyIDs {
						del.Keys[id] = base.Signed.Delegations.Keys[id]
					}
				}
			}
		}
		indexDelegations(del, node, admin, func(p string) (metadata.DelegatedRole, map[string]*metadata.Key) { return entries[p], allKeys })
		name := layout.IndexRoleID(layout.RoleShard(idxName), node.Prefix)
		nm := base
		if nm == nil {
			nm = metadata.Targets()
		}
		nm.Signed.Delegations = del
		roles[name] = nm
	}
	for i, node := range plan {
		if i == 0 {
			build(node, m)
		} else {
			build(node, nil)
		}
	}
	return roles, nil
}

// ProjectInfo describes a project from its delegation.
type ProjectInfo struct {
	Name        string            `json:"name"`
	DisplayName string            `json:"display_name,omitempty"`
	Index       string            `json:"index_role"`
	Threshold   int               `json:"threshold"`
	Maintainers []MaintainerInfo  `json:"maintainers"`
	Releases    []Release         `json:"releases,omitempty"`
	Requests    []RequestInfoLite `json:"requests,omitempty"`
	RoleVersion int64             `json:"role_version,omitempty"`
	Expires     *time.Time        `json:"expires,omitempty"`
}

// MaintainerInfo is one maintainer key.
type MaintainerInfo struct {
	KeyID string `json:"keyid"`
	Name  string `json:"name,omitempty"`
	// NameSigned is true when the index role that delegates the project
	// signs Name in the key object; false for a label only the unsigned
	// project config gives.
	NameSigned bool `json:"label_signed"`
}

// Release is one version of a project.
type Release struct {
	Version    string        `json:"version"`
	Files      []ReleaseFile `json:"files"`
	Yanked     bool          `json:"yanked"`
	YankReason string        `json:"yank_reason,omitempty"`
}

// ReleaseFile is one file of a release.
type ReleaseFile struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Length int64  `json:"length"`
	SHA256 string `json:"sha256"`
}

// RequestInfoLite names an open request.
type RequestInfoLite struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
}

// ListProjects walks the index and lists every delegated project.
func (s *Session) ListProjects() ([]ProjectInfo, error) {
	if err := s.requireRoot(); err != nil {
		return nil, err
	}
	var out []ProjectInfo
	queue := []string{layout.RoleTargets}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		r, err := s.View.Role(name)
		if err != nil {
			if state.IsNotExist(err) {
				continue
			}
			return nil, err
		}
		if r.Meta.Signed.Delegations == nil {
			continue
		}
		for _, d := range r.Meta.Signed.Delegations.Roles {
			switch layout.RoleKind(d.Name) {
			case layout.KindIndexRole:
				queue = append(queue, s.View.ChildIDs(name, d.Name)...)
			case layout.KindProjectRole:
				info := ProjectInfo{Name: d.Name, Index: name, Threshold: d.Threshold}
				for _, id := range d.KeyIDs {
					info.Maintainers = append(info.Maintainers, MaintainerInfo{KeyID: id})
				}
				out = append(out, info)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ShowProject describes one project: maintainers, threshold, releases
// (yanked ones too) and open requests.
func (s *Session) ShowProject(name string) (*ProjectInfo, error) {
	n, d, parent, err := s.lookupProject(name)
	if err != nil {
		return nil, err
	}
	labels := Labels{}
	s.ProjectLabels(n, labels)
	info := &ProjectInfo{Name: n, Index: parent, Threshold: d.Threshold}
	if pc, err := s.ProjectConfig(n); err == nil {
		info.DisplayName = pc.DisplayName
	}
	for _, id := range d.KeyIDs {
		info.Maintainers = append(info.Maintainers, MaintainerInfo{KeyID: id, Name: labels[id].Label, NameSigned: labels[id].Signed})
	}
	if r, err := s.View.Role(n); err == nil {
		info.Releases = Releases(r.Meta)
		info.RoleVersion = r.Meta.Signed.Version
		exp := r.Meta.Signed.Expires
		info.Expires = &exp
	} else if !state.IsNotExist(err) {
		return nil, err
	}
	reqs, err := s.ListRequests()
	if err != nil {
		return nil, err
	}
	for _, r := range reqs {
		if r.Project == n {
			info.Requests = append(info.Requests, RequestInfoLite{ID: r.ID, Kind: r.Kind})
		}
	}
	return info, nil
}

// Releases groups a project role's targets by version, in SemVer order.
func Releases(m *metadata.Metadata[metadata.TargetsType]) []Release {
	byV := map[string]*Release{}
	for p, tf := range m.Signed.Targets {
		_, v, f, err := layout.ParseTargetPath(p)
		if err != nil {
			continue
		}
		r := byV[v]
		if r == nil {
			r = &Release{Version: v}
			byV[v] = r
		}
		r.Files = append(r.Files, ReleaseFile{Name: f, Path: p, Length: tf.Length, SHA256: fmt.Sprintf("%x", []byte(tf.Hashes["sha256"]))})
		if y := yankOf(tf); y != nil {
			r.Yanked, r.YankReason = true, y.YankReason
		}
	}
	out := make([]Release, 0, len(byV))
	for _, r := range byV {
		sort.Slice(r.Files, func(i, j int) bool { return r.Files[i].Name < r.Files[j].Name })
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return layout.CompareVersions(out[i].Version, out[j].Version) < 0 })
	return out
}

// indexDelegations adds to del what the index node delegates: its child
// index roles (with the admin keys, as targets delegates index roles) and
// its projects (each with the delegation project returns and its keys,
// found in keys by keyid), sorted by name.
func indexDelegations(del *metadata.Delegations, node layout.IndexNode, admin *trust.Delegation, project func(string) (metadata.DelegatedRole, map[string]*metadata.Key)) {
	for _, c := range node.Children {
		del.Roles = append(del.Roles, metadata.DelegatedRole{Name: layout.IndexRoleName(c), KeyIDs: admin.KeyIDs,
			Threshold: admin.Threshold, Terminating: true, Paths: []string{layout.IndexPathPattern(c)}})
		for _, id := range admin.KeyIDs {
			del.Keys[id] = admin.Keys[id]
		}
	}
	for _, p := range node.Projects {
		r, keys := project(p)
		del.Roles = append(del.Roles, r)
		for _, id := range r.KeyIDs {
			del.Keys[id] = keys[id]
		}
	}
	sort.SliceStable(del.Roles, func(i, j int) bool { return del.Roles[i].Name < del.Roles[j].Name })
}
