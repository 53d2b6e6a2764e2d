package verify

import (
	"bytes"
	"errors"
	"fmt"
	"sort"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
)

// Proposal is a request read from a tree: its description, the proposed
// metadata, and a view of the tree as if the request were applied.
type Proposal struct {
	Request *layout.Request
	// Files maps real tree paths (metadata/..., artifacts/...) to the
	// bytes the request would write there.
	Files map[string][]byte
	// Roles lists the proposed roles: root first, then targets, index
	// roles and projects, each by name.
	Roles []string
	Root  *metadata.Metadata[metadata.RootType]
	// Artifacts maps sha256 to the request's copy of the artifact.
	Artifacts map[string]gitstore.Entry
	// ProjectConfig is the project config the request would write, if any.
	ProjectConfig *layout.ProjectConfig
	View          *state.View
}

// TreeReader is what reading a request needs of a tree. A *gitstore.Tree
// is one; the fuzz tests lay request directories over a tree in memory.
type TreeReader interface {
	ReadFile(p string, max int64) ([]byte, error)
	Exists(p string) (bool, error)
	WalkDir(dir string, fn func(gitstore.Entry) error, bad func(gitstore.BadName) error) error
}

// ReadProposal reads the request id from tree. Files that are not part of a
// request's layout are returned as errors.
func ReadProposal(tree TreeReader, id string) (*Proposal, []error) {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	p := &Proposal{Files: map[string][]byte{}, Artifacts: map[string]gitstore.Entry{}}
	var entries []layout.Entry
	err := tree.WalkDir(layout.RequestDir(id), func(e gitstore.Entry) error {
		le, err := layout.Classify(e.Path)
		if err != nil || le.Request != id {
			bad(e.Path, "not part of a request")
			return nil
		}
		switch le.Kind {
		case layout.KindRequestArtifact:
			p.Artifacts[le.SHA256] = e
			return nil
		case layout.KindRequestProjectConfig:
			raw, err := tree.ReadFile(e.Path, layout.MaxConfigSize)
			if err != nil {
				bad(e.Path, "%v", err)
				return nil
			}
			pc, err := layout.ParseProjectConfig(raw)
			if err != nil {
				bad(e.Path, "%v", err)
				return nil
			}
			p.ProjectConfig = pc
			p.Files[layout.ProjectConfigPath(pc.Name)] = raw
			return nil
		}
		entries = append(entries, le)
		return nil
	}, func(gitstore.BadName) error { return nil })
	if err != nil {
		return nil, []error{fmt.Errorf("%s: %w", layout.RequestDir(id), err)}
	}
	rp := layout.RequestPath(id)
	raw, err := tree.ReadFile(rp, layout.MaxRequestSize)
	if err != nil {
		if errors.Is(err, gitstore.ErrNotExist) {
			bad(rp, "request.json is missing")
		} else {
			bad(rp, "%v", err)
		}
		return nil, errs
	}
	req, err := layout.ParseRequest(raw)
	if err != nil {
		bad(rp, "%v", err)
		return nil, errs
	}
	if req.ID != id {
		bad(rp, "id is %q but the request lives in %s", req.ID, layout.RequestDir(id))
		return nil, errs
	}
	p.Request = req
	if p.ProjectConfig != nil && p.ProjectConfig.Name != req.Project {
		bad(layout.RequestProjectPath(id), "is the config of project %q, but the request is for %q", p.ProjectConfig.Name, req.Project)
	}
	for _, le := range entries {
		if le.Kind != layout.KindRequestRole {
			continue
		}
		path := layout.RequestRolePath(id, le.Role)
		if le.Role == layout.RoleRoot {
			raw, err := tree.ReadFile(path, layout.MaxRootSize)
			if err != nil {
				bad(path, "%v", err)
				continue
			}
			m, err := state.ParseRoot(path, raw)
			if err != nil {
				bad(path, "%v", unwrapParse(err))
				continue
			}
			p.Root = m
			p.Files[layout.RootPath] = raw
			p.Files[layout.RootHistoryPath(m.Signed.Version)] = raw
			p.Roles = append(p.Roles, le.Role)
			continue
		}
		raw, err := tree.ReadFile(path, layout.MaxTargetsSize)
		if err != nil {
			bad(path, "%v", err)
			continue
		}
		if _, err := state.ParseTargets(path, raw); err != nil {
			bad(path, "%v", unwrapParse(err))
			continue
		}
		p.Files[layout.RolePath(le.Role)] = raw
		p.Roles = append(p.Roles, le.Role)
	}
	if len(p.Roles) == 0 && len(errs) == 0 {
		bad(layout.RequestDir(id), "the request proposes no metadata")
	}
	sort.Slice(p.Roles, func(i, j int) bool { return layout.RoleOrder(p.Roles[i]) < layout.RoleOrder(p.Roles[j]) })
	p.View = state.New(&state.Overlay{Base: tree, Files: p.Files})
	return p, errs
}

// checkRequest checks a pending request: its files, that its proposals
// would be valid once signed, and that every signature already on it is
// valid. It records how far the request is signed.
func (c *checker) checkRequest(id string) { c.checkRequestIn(c.tree, id) }

// checkRequestIn is checkRequest reading the request from tree.
func (c *checker) checkRequestIn(tree TreeReader, id string) {
	if ok, _ := tree.Exists(layout.RequestWithdrawalPath(id)); ok {
		c.checkTombstone(id)
		return
	}
	c.rep.Stats.Requests++
	p, errs := ReadProposal(tree, id)
	for _, err := range errs {
		c.rep.Problems = append(c.rep.Problems, Problem{Path: layout.RequestDir(id), Code: CodeRequest, Message: err.Error()})
	}
	if p == nil {
		return
	}
	pend := PendingRequest{ID: id, Kind: p.Request.Kind, Project: p.Request.Project, Author: p.Request.Author, Created: p.Request.Created, Ready: len(p.Roles) > 0}
	var admin *trust.Delegation
	if root, err := p.View.Root(); err == nil {
		admin, _ = trust.FromRoot(root, layout.RoleTargets)
	}
	refs := map[string]*target{}
	for _, role := range p.Roles {
		path := layout.RequestRolePath(id, role)
		var rs RoleSignatures
		if role == layout.RoleRoot {
			rs = c.checkProposedRoot(path, p.Root, &pend)
		} else {
			d, parent, err := p.View.Delegation(role)
			if err != nil {
				c.rep.add(path, role, CodeRequest, "proposes role %s, but nothing delegates it (%v)", role, err)
				pend.Ready = false
				continue
			}
			_ = parent
			rc := roleCheck{view: p.View, path: path, pending: true, admin: admin, refs: refs}
			r := c.checkRole(rc, role, d)
			if r == nil {
				pend.Ready = false
				continue
			}
			if layout.RoleKind(role) == layout.KindProjectRole {
				c.checkRetiredReleases(tree, p.View, path, role)
			}
			s := trust.Check(d, r.Meta, r.Meta.Signatures)
			rs = RoleSignatures{Role: role, Version: r.Meta.Signed.Version, Threshold: d.Threshold, Signed: s.Valid, Missing: s.Missing, Met: s.Met}
			if cur, err := c.view.Role(role); err == nil && cur.Meta.Signed.Version >= r.Meta.Signed.Version {
				pend.Stale = append(pend.Stale, fmt.Sprintf("%s is at version %d already; the request proposes %d", role, cur.Meta.Signed.Version, r.Meta.Signed.Version))
			}
		}
		if rs.Signed == nil {
			rs.Signed = []string{}
		}
		if rs.Missing == nil {
			rs.Missing = []string{}
		}
		if !rs.Met || (rs.Also != nil && !rs.Also.Met) {
			pend.Ready = false
		}
		pend.Roles = append(pend.Roles, rs)
	}
	checkMoves(c.rep, c.view, p.View, p.Roles, func(role string) string { return layout.RequestRolePath(id, role) })
	if p.Request.Kind == KindRootRenew {
		c.checkRootRenewal(id, p)
	}
	for _, rp := range RenewalProblems(c.view, p) {
		c.rep.add(layout.RequestRolePath(id, rp.Role), rp.Role, CodeRequest, "%s", rp.Message)
	}
	// Artifacts the request carries must belong to a proposed target.
	for sha, e := range p.Artifacts {
		t, ok := refs[sha]
		if !ok {
			c.rep.add(e.Path, "", CodeOrphan, "no target proposed by request %s lists this artifact", id)
			continue
		}
		c.checkArtifactAt(e, t)
	}
	// Proposed targets whose artifact is not in the request must be stored already.
	for sha, t := range refs {
		if _, ok := p.Artifacts[sha]; ok {
			continue
		}
		if c.cfg == nil {
			continue
		}
		if c.cfg.Artifacts.Store != "git" {
			c.checkStoredArtifact(t)
			continue
		}
		if ok, _ := tree.Exists(layout.ArtifactPath(sha)); !ok {
			c.rep.add(layout.RequestDir(id), state.ProjectOfPath(t.path), CodeMissing, "proposed target %s has no artifact in the request or the store", t.path)
		}
	}
	if len(pend.Stale) > 0 {
		pend.Ready = false
	}
	c.rep.Pending = append(c.rep.Pending, pend)
}

// checkProposedRoot checks a proposed root: its content, its own threshold
// and the current root's threshold.
func (c *checker) checkProposedRoot(path string, m *metadata.Metadata[metadata.RootType], pend *PendingRequest) RoleSignatures {
	c.rep.Stats.RolesChecked++
	c.checkRootContent(path, m)
	rs := RoleSignatures{Role: layout.RoleRoot, Version: m.Signed.Version}
	self, err := trust.FromRoot(m, layout.RoleRoot)
	if err != nil {
		return rs
	}
	known := map[string]bool{}
	for _, id := range self.KeyIDs {
		known[id] = true
	}
	s := trust.Check(self, m, m.Signatures)
	c.signatureProblems(path, layout.RoleRoot, s, true, "")
	rs.Threshold, rs.Signed, rs.Missing, rs.Met = self.Threshold, s.Valid, s.Missing, s.Met
	cur, err := c.view.Root()
	switch {
	case err == nil:
		if m.Signed.Version != cur.Signed.Version+1 {
			pend.Stale = append(pend.Stale, fmt.Sprintf("root is at version %d; the request proposes %d", cur.Signed.Version, m.Signed.Version))
		}
		pd, err := trust.FromRoot(cur, layout.RoleRoot)
		if err == nil {
			ps := trust.Check(pd, m, m.Signatures)
			ps.Unknown = nil
			c.signatureProblems(path, layout.RoleRoot, ps, true, "")
			also := RoleSignatures{Role: layout.RoleRoot, Version: cur.Signed.Version, Threshold: pd.Threshold, Signed: ps.Valid, Missing: ps.Missing, Met: ps.Met}
			rs.Also = &also
			for _, id := range pd.KeyIDs {
				known[id] = true
			}
		}
	case state.IsNotExist(err):
		if m.Signed.Version != 1 {
			c.rep.add(path, layout.RoleRoot, CodeRequest, "proposes root version %d for a repository without a root; the first root is version 1", m.Signed.Version)
		}
	}
	for _, sig := range m.Signatures {
		if !known[sig.KeyID] {
			c.rep.add(path, layout.RoleRoot, CodeSignature, "signature by key %s, which is not a root key", trust.Short(sig.KeyID))
		}
	}
	return rs
}

// checkArtifactAt checks an artifact stored at e against its target.
func (c *checker) checkArtifactAt(e gitstore.Entry, t *target) {
	if c.opts.SkipArtifacts {
		return
	}
	c.rep.Stats.Artifacts++
	// Hashed while read: an artifact of any size costs a buffer, not its
	// size in memory.
	c.gitMu.Lock()
	defer c.gitMu.Unlock()
	rc, size, err := c.repo.OpenBlob(e.Hash)
	if err == nil {
		defer rc.Close()
		if size != t.file.Length {
			err = fmt.Errorf("%s: is %d bytes, the target lists %d", e.Path, size, t.file.Length)
		} else {
			err = trust.VerifyArtifact(t.file, rc)
		}
	}
	if err != nil {
		c.rep.add(e.Path, state.ProjectOfPath(t.path), CodeArtifact, "does not match target %s: %v", t.path, err)
	}
}

// KindRootRenew is the request kind of a root renewal.
const KindRootRenew = "root-renew"

// checkRootRenewal: a request labelled a root renewal proposes root alone,
// and changes nothing in it but version and expiry.
func (c *checker) checkRootRenewal(id string, p *Proposal) {
	path := layout.RequestRolePath(id, layout.RoleRoot)
	if p.Root == nil || len(p.Roles) != 1 {
		c.rep.add(layout.RequestDir(id), layout.RoleRoot, CodeRequest, "request %s is labelled a root renewal but proposes %v", id, p.Roles)
		return
	}
	cur, err := c.view.Root()
	if err != nil {
		return
	}
	was, now := cur.Signed, p.Root.Signed
	now.Version, now.Expires = was.Version, was.Expires
	a, err1 := cjson.EncodeCanonical(was)
	b, err2 := cjson.EncodeCanonical(now)
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		c.rep.add(path, layout.RoleRoot, CodeRequest, "request %s is labelled a root renewal but changes more than version and expiry", id)
	}
}
