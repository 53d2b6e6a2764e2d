package repo

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/trust"
	"github.com/tufgit/tufgit/pkg/verify"
)

// RequestInfo describes a pending request, with what it does derived from
// its proposed metadata.
type RequestInfo struct {
	ID       string      `json:"id"`
	Kind     string      `json:"kind"`
	Project  string      `json:"project"`
	Author   string      `json:"author"`
	Created  time.Time   `json:"created"`
	Note     string      `json:"note,omitempty"`
	Summary  []string    `json:"summary"`
	Roles    []RoleState `json:"roles"`
	SignedBy []string    `json:"signed_by"`
	Missing  []string    `json:"missing"`
	Ready    bool        `json:"ready"`
	Problems []string    `json:"problems,omitempty"`
	// Labels names the keys above where the project config does.
	Labels map[string]string `json:"labels,omitempty"`
}

// loaded is a request read for signing or showing.
type loaded struct {
	p      *verify.Proposal
	roles  map[string]*metadata.Metadata[metadata.TargetsType]
	delegs map[string][]*trust.Delegation // root: new root's, then the current root's
}

// ListRequests describes every pending request.
func (s *Session) ListRequests() ([]RequestInfo, error) {
	var ids []string
	seen := map[string]bool{}
	err := s.Tree.WalkDir(layout.RequestsDir, func(e gitstore.Entry) error {
		if le, err := layout.Classify(e.Path); err == nil && !seen[le.Request] {
			seen[le.Request] = true
			ids = append(ids, le.Request)
		}
		return nil
	}, func(gitstore.BadName) error { return nil })
	if err != nil {
		return nil, err
	}
	sort.Strings(ids)
	out := []RequestInfo{}
	for _, id := range ids {
		info, err := s.ShowRequest(id)
		if err != nil {
			out = append(out, RequestInfo{ID: id, Problems: []string{err.Error()}})
			continue
		}
		out = append(out, *info)
	}
	return out, nil
}

// ShowRequest describes one request.
func (s *Session) ShowRequest(id string) (*RequestInfo, error) {
	l, err := s.loadRequest(id)
	if err != nil {
		return nil, err
	}
	return s.describeRequest(l), nil
}

func (s *Session) loadRequest(id string) (*loaded, error) {
	if err := layout.ValidateRequestID(id); err != nil {
		return nil, err
	}
	if ok, _ := s.Tree.Exists(layout.RequestDir(id)); !ok {
		return nil, fmt.Errorf("%w %q (list them with `tufgit request list`)", ErrUnknownRequest, id)
	}
	p, errs := verify.ReadProposal(s.Tree, id)
	if len(errs) > 0 {
		return nil, fmt.Errorf("request %s is malformed: %w", id, errors.Join(errs...))
	}
	l := &loaded{p: p, roles: map[string]*metadata.Metadata[metadata.TargetsType]{}, delegs: map[string][]*trust.Delegation{}}
	for _, name := range p.Roles {
		if name == layout.RoleRoot {
			d, err := trust.FromRoot(p.Root, layout.RoleRoot)
			if err != nil {
				return nil, fmt.Errorf("request %s: proposed root: %w", id, err)
			}
			l.delegs[name] = []*trust.Delegation{d}
			if cur, err := s.View.Root(); err == nil {
				if cd, err := trust.FromRoot(cur, layout.RoleRoot); err == nil {
					l.delegs[name] = append(l.delegs[name], cd)
				}
			}
			continue
		}
		r, err := p.View.Role(name)
		if err != nil {
			return nil, fmt.Errorf("request %s: %w", id, err)
		}
		l.roles[name] = r.Meta
		d, _, err := p.View.Delegation(name)
		if err != nil {
			return nil, fmt.Errorf("request %s: role %s is no longer delegated (was the project deleted?): %w", id, name, err)
		}
		l.delegs[name] = []*trust.Delegation{d}
	}
	return l, nil
}

// check evaluates the signatures on one proposed role against each of its
// delegations (two for a root rotation).
func (l *loaded) check(name string) []trust.Signatures {
	var md any
	var sigs []metadata.Signature
	if name == layout.RoleRoot {
		md, sigs = l.p.Root, l.p.Root.Signatures
	} else {
		md, sigs = l.roles[name], l.roles[name].Signatures
	}
	var out []trust.Signatures
	for _, d := range l.delegs[name] {
		out = append(out, trust.Check(d, md, sigs))
	}
	return out
}

func (s *Session) describeRequest(l *loaded) *RequestInfo {
	r := l.p.Request
	info := &RequestInfo{ID: r.ID, Kind: r.Kind, Project: r.Project, Author: r.Author, Created: r.Created, Note: r.Note, Ready: true,
		SignedBy: []string{}, Missing: []string{}}
	info.Summary = s.Describe(l.roles, l.p.ProjectConfig)
	if l.p.Root != nil {
		info.Summary = append([]string{fmt.Sprintf("root: version %d, %d root key(s), threshold %d", l.p.Root.Signed.Version,
			len(l.p.Root.Signed.Roles[layout.RoleRoot].KeyIDs), l.p.Root.Signed.Roles[layout.RoleRoot].Threshold)}, info.Summary...)
	}
	labels := Labels{}
	if r.Project != "" {
		s.ProjectLabels(r.Project, labels)
	}
	if l.p.ProjectConfig != nil {
		for _, m := range l.p.ProjectConfig.Maintainers {
			labels[m.KeyID] = m.Name
		}
	}
	info.Labels = labels
	signed, missing := map[string]bool{}, map[string]bool{}
	for _, name := range l.p.Roles {
		for i, c := range l.check(name) {
			v := int64(0)
			if name == layout.RoleRoot {
				v = l.p.Root.Signed.Version
			} else {
				v = l.roles[name].Signed.Version
			}
			rs := RoleState{Role: name, Version: v, Threshold: c.Threshold, Signed: nonNil(c.Valid), Missing: nonNil(c.Missing), Met: c.Met}
			if i == 1 {
				rs.Role = "root (as signed by the current root)"
			}
			info.Roles = append(info.Roles, rs)
			if !c.Met {
				info.Ready = false
				for _, id := range c.Missing {
					missing[id] = true
				}
			}
			for _, id := range c.Valid {
				signed[id] = true
			}
			for _, id := range c.Invalid {
				info.Problems = append(info.Problems, fmt.Sprintf("role %s: signature by key %s does not verify (tampered?)", name, trust.Short(id)))
			}
		}
	}
	info.SignedBy, info.Missing = sortedKeys(signed), sortedKeys(missing)
	return info
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SignOptions describe a signature on a request.
type SignOptions struct {
	ID  string
	Key *keys.Key
	// Confirm is shown what the request does and decides whether to sign.
	Confirm func(*RequestInfo) (bool, error)
	SubmitOptions
}

// ErrDeclined means the signer said no.
var ErrDeclined = errors.New("not signed")

// Sign adds key's signature to every role of the request it may sign. When
// that completes every threshold the request is applied in the same
// commit: the metadata moves into place and the request is removed.
func (s *Session) Sign(o SignOptions) (*Result, error) {
	l, err := s.loadRequest(o.ID)
	if err != nil {
		return nil, err
	}
	info := s.describeRequest(l)
	if len(info.Problems) > 0 {
		return nil, fmt.Errorf("request %s is tampered, refusing to sign: %s", o.ID, strings.Join(info.Problems, "; "))
	}
	if err := s.checkRebase(l); err != nil {
		return nil, err
	}
	if !o.Key.CanSign() {
		return nil, fmt.Errorf("key %s is a public key; signing needs the private key", o.Key.Ref)
	}
	var mine []string
	for _, name := range l.p.Roles {
		for _, d := range l.delegs[name] {
			if contains(d.KeyIDs, o.Key.ID) && !contains(mine, name) {
				mine = append(mine, name)
			}
		}
	}
	if len(mine) == 0 {
		labels := Labels{}
		s.ProjectLabels(l.p.Request.Project, labels)
		var who []string
		for _, id := range info.Missing {
			who = append(who, labels.Name(id))
		}
		return nil, &NotAuthorizedError{Key: fmt.Sprintf("key %s (%s)", o.Key.Ref, trust.Short(o.Key.ID)), What: "any role of request " + o.ID, Allowd: who}
	}
	if o.Confirm != nil {
		ok, err := o.Confirm(info)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrDeclined
		}
	}
	for _, name := range mine {
		if name == layout.RoleRoot {
			if err := sign(l.p.Root, o.Key); err != nil {
				return nil, err
			}
			continue
		}
		if err := sign(l.roles[name], o.Key); err != nil {
			return nil, fmt.Errorf("role %s: %w", name, err)
		}
	}
	after := s.describeRequest(l)
	res := &Result{Applied: after.Ready, Summary: info.Summary, Signed: after.Roles}
	var changes []gitstore.FileChange
	put := func(p string, data []byte) { changes = append(changes, gitstore.FileChange{Path: p, Data: data}) }
	encodeRole := func(name string) ([]byte, error) {
		if name == layout.RoleRoot {
			return encode(l.p.Root)
		}
		return encode(l.roles[name])
	}
	req := *l.p.Request
	subject := requestSubject(&req, info.Summary)
	if after.Ready {
		// Apply: everything into place, the request gone.
		err := s.Tree.WalkDir(layout.RequestDir(o.ID), func(e gitstore.Entry) error {
			put(e.Path, nil)
			return nil
		}, func(gitstore.BadName) error { return nil })
		if err != nil {
			return nil, err
		}
		for _, name := range l.p.Roles {
			raw, err := encodeRole(name)
			if err != nil {
				return nil, err
			}
			if name == layout.RoleRoot {
				put(layout.RootPath, raw)
				put(layout.RootHistoryPath(l.p.Root.Signed.Version), raw)
			} else {
				put(layout.RolePath(name), raw)
			}
		}
		for sha, e := range l.p.Artifacts {
			if ok, _ := s.Tree.Exists(layout.ArtifactPath(sha)); ok {
				continue
			}
			data, err := s.G.ReadBlob(e.Hash, layout.MaxArtifactSize, e.Path)
			if err != nil {
				return nil, err
			}
			put(layout.ArtifactPath(sha), data)
		}
		if pc := l.p.ProjectConfig; pc != nil {
			raw, err := layout.EncodeFile(pc)
			if err != nil {
				return nil, err
			}
			put(layout.ProjectConfigPath(pc.Name), raw)
		}
		subject += fmt.Sprintf(" (request %s applied)", o.ID)
	} else {
		res.RequestID = o.ID
		for _, name := range mine {
			raw, err := encodeRole(name)
			if err != nil {
				return nil, err
			}
			put(layout.RequestRolePath(o.ID, name), raw)
		}
		if req.Base != "" && req.Base != s.Head.String() {
			req.Base = s.Head.String()
			raw, err := layout.EncodeFile(req)
			if err != nil {
				return nil, err
			}
			put(layout.RequestPath(o.ID), raw)
		}
		subject = fmt.Sprintf("request %s: signed (%s)", o.ID, subject)
	}
	msg := commitMessage(subject, res, o.Key)
	h, err := s.commit(changes, msg, o.NoCommit)
	if err != nil {
		return nil, err
	}
	res.Commit = h.String()
	return res, nil
}

// requestSubject is a commit subject for a request, from what its
// metadata does (never from the requester's words).
func requestSubject(r *layout.Request, summary []string) string {
	if len(summary) > 0 {
		first, _, _ := strings.Cut(summary[0], ": ")
		if len(summary) > 2 {
			first += fmt.Sprintf(" (and %d more changes)", len(summary)-2)
		}
		return first
	}
	return strings.ReplaceAll(r.Kind, "-", " ")
}

// checkRebase lets a request whose base has moved on go ahead when nothing
// it depends on changed since: its roles, their delegators, root, and the
// project's config. Otherwise it names what conflicts.
func (s *Session) checkRebase(l *loaded) error {
	base := l.p.Request.Base
	if base == "" || base == s.Head.String() {
		return nil
	}
	baseTree, err := s.G.TreeAt(plumbing.NewHash(base))
	if err != nil {
		return fmt.Errorf("%w: request %s was made against commit %s, which this repository does not have", ErrConflict, l.p.Request.ID, base[:12])
	}
	changes, err := gitstore.Diff(baseTree, s.Tree, func(gitstore.BadName) error { return nil })
	if err != nil {
		return err
	}
	watch := map[string]bool{layout.RootPath: true}
	for _, name := range l.p.Roles {
		if name == layout.RoleRoot {
			continue
		}
		watch[layout.RolePath(name)] = true
		if parent, err := l.p.View.Parent(name); err == nil && parent != layout.RoleRoot {
			watch[layout.RolePath(parent)] = true
		}
	}
	if l.p.ProjectConfig != nil {
		watch[layout.ProjectConfigPath(l.p.ProjectConfig.Name)] = true
	}
	var conflicts []string
	for _, c := range changes {
		if watch[c.Path] {
			conflicts = append(conflicts, c.Path)
		}
	}
	if len(conflicts) > 0 {
		return fmt.Errorf("%w: %s changed since request %s was made (at %s); withdraw it and make the change again",
			ErrConflict, strings.Join(conflicts, ", "), l.p.Request.ID, base[:12])
	}
	return nil
}

// Withdraw removes a pending request.
func (s *Session) Withdraw(id string, o SubmitOptions) (string, error) {
	if err := layout.ValidateRequestID(id); err != nil {
		return "", err
	}
	var changes []gitstore.FileChange
	err := s.Tree.WalkDir(layout.RequestDir(id), func(e gitstore.Entry) error {
		changes = append(changes, gitstore.FileChange{Path: e.Path})
		return nil
	}, func(gitstore.BadName) error { return nil })
	if err != nil {
		return "", err
	}
	if len(changes) == 0 {
		return "", fmt.Errorf("%w %q (list them with `tufgit request list`)", ErrUnknownRequest, id)
	}
	h, err := s.commit(changes, fmt.Sprintf("request %s: withdrawn\n", id), o.NoCommit)
	return h.String(), err
}
