package repo

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
	"github.com/tufgit/tufgit/pkg/verify"
)

// RequestInfo describes a pending request, with what it does derived from
// its proposed metadata.
type RequestInfo struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Project, Author and Created are left out where unknown (a
	// withdrawn request; a request of no project).
	Project string    `json:"project,omitempty"`
	Author  string    `json:"author,omitempty"`
	Created time.Time `json:"created,omitzero"`
	Note    string    `json:"note,omitempty"`
	Summary []string  `json:"summary"`
	// Changes is the semantic diff behind Summary, key changes first.
	Changes  []ChangeItem `json:"changes"`
	Roles    []RoleState  `json:"roles"`
	SignedBy []string     `json:"signed_by"`
	Missing  []string     `json:"missing"`
	Ready    bool         `json:"ready"`
	Problems []string     `json:"problems,omitempty"`
	// Stale says why the request can no longer be applied (so anyone may
	// prune it); "" while it can.
	Stale string `json:"stale,omitempty"`
	// Withdrawn is the withdrawal record of a withdrawn request.
	Withdrawn *layout.Withdrawal `json:"withdrawn,omitempty"`
	// Labels names the keys above, by keyid: each label with whether the
	// current tree signs it ("label_signed") and where it comes from
	// ("label_from": signed, config, or request for a label only this
	// request proposes).
	Labels Labels `json:"labels,omitempty"`
}

// loaded is a request read for signing or showing.
type loaded struct {
	p      *verify.Proposal
	roles  map[string]*metadata.Metadata[metadata.TargetsType]
	delegs map[string][]*trust.Delegation // root: new root's, then the current root's
}

// ListRequests describes every pending request.
func (s *Session) ListRequests() ([]RequestInfo, error) {
	ids, err := s.requestIDs()
	if err != nil {
		return nil, err
	}
	out := []RequestInfo{}
	for _, id := range ids {
		if w, err := s.readWithdrawal(id); err == nil {
			out = append(out, RequestInfo{ID: id, Kind: "withdrawn", Withdrawn: w, Summary: []string{}, Changes: []ChangeItem{}, Roles: []RoleState{}, SignedBy: []string{}, Missing: []string{}})
			continue
		}
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
	info := s.describeRequest(l)
	info.Stale = verify.Prunable(l.p, s.View, s.Now)
	return info, nil
}

func (s *Session) loadRequest(id string) (*loaded, error) {
	if err := layout.ValidateRequestID(id); err != nil {
		return nil, err
	}
	if ok, _ := s.Tree.Exists(layout.RequestDir(id)); !ok {
		return nil, s.requestGone(id)
	}
	if w, err := s.readWithdrawal(id); err == nil {
		return nil, s.withdrawnWhen(id, w)
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
	info.Changes = s.DescribeChange(l.p.View, l.p.Root, l.roles, l.p.ProjectConfig)
	s.markUnconsented(info.Changes, l.p.Root, l.roles)
	info.Summary = Summary(info.Changes)
	info.Labels = s.proposalLabels(l.p)
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
	for _, it := range info.Changes {
		if it.Kind == ItemMovedChanged {
			info.Problems = append(info.Problems, fmt.Sprintf("role %s: moves from %s to %s and changes who may sign it at once; verify refuses this (change maintainers in a change of its own)",
				it.Role, it.Delegation.From, it.Delegation.Delegator))
		}
	}
	if l.p.Root != nil {
		if msg := verify.ExpiryCapProblem(layout.RoleRoot, l.p.Root.Signed.Expires, s.Now, true); msg != "" {
			info.Problems = append(info.Problems, "role root: "+msg)
		}
	}
	for _, name := range l.p.Roles {
		if m := l.roles[name]; m != nil {
			if msg := verify.ExpiryCapProblem(name, m.Signed.Expires, s.Now, true); msg != "" {
				info.Problems = append(info.Problems, fmt.Sprintf("role %s: %s", name, msg))
			}
		}
	}
	for _, rp := range verify.RenewalProblems(s.View, l.p) {
		info.Problems = append(info.Problems, fmt.Sprintf("role %s: %s", rp.Role, rp.Message))
	}
	info.SignedBy, info.Missing = slices.Sorted(maps.Keys(signed)), slices.Sorted(maps.Keys(missing))
	return info
}

// proposalLabels names the keys a request involves: labels signed in the
// current tree first; then those the request proposes (in the key objects
// of its proposed metadata, or its project.json), marked as its word; then
// those only the current unsigned project config gives, marked unsigned.
func (s *Session) proposalLabels(p *verify.Proposal) Labels {
	labels := Labels{}
	tree := Labels{}
	proposed := Labels{}
	if p.Request.Project != "" {
		s.ProjectLabels(p.Request.Project, tree)
		s.labelsFrom(p.View, p.Request.Project, proposed)
	}
	s.RootLabels(tree)
	if p.Root != nil {
		for id, k := range p.Root.Signed.Keys {
			if l, ok := trust.KeyOwner(k); ok {
				if _, has := proposed[id]; !has {
					proposed[id] = KeyLabel{Label: l}
				}
			}
		}
	}
	if p.ProjectConfig != nil {
		for _, m := range p.ProjectConfig.Maintainers {
			if _, ok := proposed[m.KeyID]; !ok && m.Name != "" {
				proposed[m.KeyID] = KeyLabel{Label: m.Name}
			}
		}
	}
	for id, l := range tree {
		if l.Signed {
			labels[id] = l
		}
	}
	for id, l := range proposed {
		if _, ok := labels[id]; !ok {
			labels[id] = KeyLabel{Label: l.Label, From: LabelRequest}
		}
	}
	for id, l := range tree {
		if _, ok := labels[id]; !ok {
			labels[id] = l
		}
	}
	return labels
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
		return nil, fmt.Errorf("request %s is tampered or invalid, refusing to sign: %s", o.ID, strings.Join(info.Problems, "; "))
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
			if slices.Contains(d.KeyIDs, o.Key.ID) && !slices.Contains(mine, name) {
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
		// A role this key signed already keeps that signature: an ECDSA
		// signature differs each time, and replacing it would drop a
		// signature from a pending request, which verify refuses.
		if name == layout.RoleRoot {
			if hasSignatureBy(l.p.Root.Signatures, o.Key.ID) {
				continue
			}
			if err := sign(l.p.Root, o.Key); err != nil {
				return nil, err
			}
			continue
		}
		if hasSignatureBy(l.roles[name].Signatures, o.Key.ID) {
			continue
		}
		if err := sign(l.roles[name], o.Key); err != nil {
			return nil, fmt.Errorf("role %s: %w", name, err)
		}
	}
	after := s.describeRequest(l)
	res := &Result{Applied: after.Ready, Summary: info.Summary, Changes: info.Changes, Signed: after.Roles, Labels: after.Labels}
	var changes []gitstore.FileChange
	put := func(p string, data []byte) { changes = append(changes, gitstore.FileChange{Path: p, Data: data}) }
	encodeRole := func(name string) ([]byte, error) {
		if name == layout.RoleRoot {
			return encode(l.p.Root)
		}
		return encode(l.roles[name])
	}
	req := *l.p.Request
	subject := requestSubject(&req, info.Changes)
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
				if cfg, err := s.followOnlineKey(l.p.Root); err != nil {
					return nil, err
				} else if cfg != nil {
					put(layout.ConfigPath, cfg)
				}
			} else {
				put(layout.RolePath(name), raw)
			}
		}
		for sha, e := range l.p.Artifacts {
			if ok, _ := s.Tree.Exists(layout.ArtifactPath(sha)); ok {
				continue
			}
			// The request's blob moves by id: never read into memory.
			changes = append(changes, gitstore.FileChange{Path: layout.ArtifactPath(sha), Blob: e.Hash})
		}
		rm, err := s.removals(l.p.View, l.p.Roles, o.ID)
		if err != nil {
			return nil, err
		}
		changes = append(changes, rm...)
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
	if after.Ready {
		msg += "\n" + layout.RequestTrailer(o.ID, layout.RequestApplied) + "\n"
	}
	h, err := s.commit(changes, msg, o.NoCommit)
	if err != nil {
		return nil, err
	}
	res.Commit = h.String()
	return res, nil
}

// requestSubject is a commit subject for a request, from what its
// metadata does (never from the requester's words).
func requestSubject(r *layout.Request, items []ChangeItem) string {
	var first *ChangeItem
	n := 0
	for i := range items {
		if items[i].Kind == ItemVersion {
			continue
		}
		if first == nil {
			first = &items[i]
		}
		n++
	}
	if first == nil {
		return strings.ReplaceAll(r.Kind, "-", " ")
	}
	s := first.Text
	if first.KeyChange {
		if r := []rune(s); len(r) > 100 {
			s = string(r[:97]) + "…"
		}
		s = "KEY CHANGE: " + s
	} else if before, _, ok := strings.Cut(s, " (reason: "); ok {
		// A yank's reason is the requester's words: the subject stops
		// before it (and a reason with ": " in it can not cut it short).
		s = before
	} else {
		s, _, _ = strings.Cut(s, ": ")
	}
	if n > 1 {
		s += fmt.Sprintf(" (and %d more)", n-1)
	}
	return s
}

// checkRebase lets a request whose base has moved on go ahead when nothing
// it depends on changed since: its roles, their delegators, root, and the
// project's config. Otherwise it names what conflicts.
func (s *Session) checkRebase(l *loaded) error {
	base := l.p.Request.Base
	if base == "" || base == s.Head.String() {
		return nil
	}
	baseTree, err := s.G.TreeAt(gitstore.NewHash(base))
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
		return fmt.Errorf("%w: %s changed since request %s was made (at %s); rebase it (`tufgit request rebase %s`) to make the same change on the current head",
			ErrConflict, strings.Join(conflicts, ", "), l.p.Request.ID, base[:12], l.p.Request.ID)
	}
	return nil
}

// ErrWithdrawn means the request was withdrawn already.
var ErrWithdrawn = errors.New("request was withdrawn")

// ErrNeedsKey means withdrawing a pending request takes a key.
var ErrNeedsKey = errors.New("withdrawing a pending request takes a key")

// WithdrawOptions describe a withdrawal.
type WithdrawOptions struct {
	ID string
	// Key signs the withdrawal record. It must be a key that may sign the
	// request, or one the request would delegate to (its requester). A
	// request that was applied, can no longer be applied, or whose
	// proposed metadata expired is pruned without a key.
	Key    *keys.Key
	Reason string
	SubmitOptions
}

// WithdrawResult says what a withdrawal did.
type WithdrawResult struct {
	Commit string `json:"commit"`
	// Pruned is why the request could go without a key, if it could.
	Pruned string `json:"pruned,omitempty"`
	// By is the withdrawing key, for a signed withdrawal.
	By string `json:"by,omitempty"`
}

// Withdraw removes a pending request. A request that anyone may prune
// goes without a record; otherwise a withdrawal record signed by o.Key
// replaces it, and stays until pruned.
func (s *Session) Withdraw(o WithdrawOptions) (*WithdrawResult, error) {
	id := o.ID
	if err := layout.ValidateRequestID(id); err != nil {
		return nil, err
	}
	if w, err := s.readWithdrawal(id); err == nil {
		return nil, s.withdrawnWhen(id, w)
	}
	var del []gitstore.FileChange
	err := s.Tree.WalkDir(layout.RequestDir(id), func(e gitstore.Entry) error {
		del = append(del, gitstore.FileChange{Path: e.Path})
		return nil
	}, func(gitstore.BadName) error { return nil })
	if err != nil {
		return nil, err
	}
	if len(del) == 0 {
		return nil, s.requestGone(id)
	}
	res := &WithdrawResult{}
	p, errs := verify.ReadProposal(s.Tree, id)
	switch {
	case len(errs) > 0:
		res.Pruned = "it is malformed: " + errors.Join(errs...).Error()
	default:
		res.Pruned = verify.Prunable(p, s.View, s.Now)
	}
	if res.Pruned != "" {
		h, err := s.commit(del, fmt.Sprintf("request %s: pruned\n\nAnyone may remove it: %s.\n", id, res.Pruned), o.NoCommit)
		if err != nil {
			return nil, err
		}
		res.Commit = h.String()
		return res, nil
	}
	if o.Key == nil {
		return nil, fmt.Errorf("%w: request %s is pending (use --key with a key that may sign it, or that it names as a maintainer)", ErrNeedsKey, id)
	}
	if !o.Key.CanSign() {
		return nil, fmt.Errorf("key %s is a public key; withdrawing needs the private key", o.Key.Ref)
	}
	entitled := verify.EntitledKeys(p, s.View)
	if _, ok := entitled[o.Key.ID]; !ok {
		labels := s.proposalLabels(p)
		var who []string
		for _, kid := range slices.Sorted(maps.Keys(entitled)) {
			who = append(who, labels.Name(kid))
		}
		return nil, &NotAuthorizedError{Key: fmt.Sprintf("key %s (%s)", o.Key.Ref, trust.Short(o.Key.ID)), What: "a withdrawal of request " + id, Allowd: who}
	}
	raw, err := s.withdrawalRecord(id, o.Key, o.Reason)
	if err != nil {
		return nil, err
	}
	author, err := s.G.Author()
	if err != nil {
		return nil, err
	}
	del = append(del, gitstore.FileChange{Path: layout.RequestWithdrawalPath(id), Data: raw})
	res.By = o.Key.ID
	msg := fmt.Sprintf("request %s: withdrawn by %s (key %s)\n", id, author.String(), trust.Short(o.Key.ID))
	if o.Reason != "" {
		msg += "\nReason: " + o.Reason + "\n"
	}
	h, err := s.commit(del, msg, o.NoCommit)
	if err != nil {
		return nil, err
	}
	res.Commit = h.String()
	return res, nil
}

// Prune removes every withdrawal record and every request that anyone may
// prune (applied, no longer applicable, expired, or malformed), in one
// commit. It returns the ids removed.
func (s *Session) Prune(o SubmitOptions) ([]string, string, error) {
	ids, err := s.requestIDs()
	if err != nil {
		return nil, "", err
	}
	var del []gitstore.FileChange
	var pruned, lines []string
	for _, id := range ids {
		why := ""
		if w, err := s.readWithdrawal(id); err == nil {
			why = "withdrawn by " + w.By + " on " + w.Withdrawn.UTC().Format("2006-01-02")
		} else if p, errs := verify.ReadProposal(s.Tree, id); len(errs) > 0 {
			why = "malformed"
		} else {
			why = verify.Prunable(p, s.View, s.Now)
		}
		if why == "" {
			continue
		}
		err := s.Tree.WalkDir(layout.RequestDir(id), func(e gitstore.Entry) error {
			del = append(del, gitstore.FileChange{Path: e.Path})
			return nil
		}, func(gitstore.BadName) error { return nil })
		if err != nil {
			return nil, "", err
		}
		pruned = append(pruned, id)
		lines = append(lines, fmt.Sprintf("- %s: %s", id, why))
	}
	if len(pruned) == 0 {
		return nil, "", fmt.Errorf("%w: no request can be pruned", ErrNothingToDo)
	}
	h, err := s.commit(del, fmt.Sprintf("requests: prune %d\n\n%s\n", len(pruned), strings.Join(lines, "\n")), o.NoCommit)
	if err != nil {
		return nil, "", err
	}
	return pruned, h.String(), nil
}

// readWithdrawal reads the withdrawal record of a request, if it has one.
func (s *Session) readWithdrawal(id string) (*layout.Withdrawal, error) {
	p := layout.RequestWithdrawalPath(id)
	raw, err := s.Tree.ReadFile(p, layout.MaxRequestSize)
	if err != nil {
		return nil, err
	}
	_, w, err := state.ParseWithdrawal(p, raw)
	return w, err
}

// RequestHistoryDepth bounds how many commits back requestGone looks for
// a request that is no longer in the tree.
const RequestHistoryDepth = 2000

// GoneError is a request that is not in the tree. When the branch's
// history removed it, Commit is that commit and Why says how (applied,
// withdrawn, removed); when no commit within RequestHistoryDepth did, the
// request is unknown here (Commit is nil): made in a clone not yet pulled,
// or mistyped.
type GoneError struct {
	ID     string
	Why    string // layout.RequestApplied, RequestWithdrawn or RequestRemoved
	By     string // who withdrew it, for "withdrawn"
	Commit *gitstore.CommitInfo
}

func (e *GoneError) Error() string {
	if e.Commit == nil {
		return fmt.Sprintf("%s %q: not in this branch, nor removed in its last %d commits", ErrUnknownRequest, e.ID, RequestHistoryDepth)
	}
	subject, _, _ := strings.Cut(e.Commit.Message, "\n")
	when := e.Commit.When.UTC().Format("2006-01-02 15:04 MST")
	c := e.Commit.Hash.String()[:12]
	switch e.Why {
	case layout.RequestApplied:
		return fmt.Sprintf("request %s was already applied, on %s by commit %s (%q)", e.ID, when, c, subject)
	case layout.RequestWithdrawn:
		return fmt.Sprintf("request %s was withdrawn by %s; its record was removed on %s by commit %s (%q)", e.ID, e.By, when, c, subject)
	}
	return fmt.Sprintf("request %s is no longer pending: removed on %s by commit %s (%q)", e.ID, when, c, subject)
}

// Is makes a GoneError an ErrUnknownRequest.
func (e *GoneError) Is(t error) bool { return t == ErrUnknownRequest }

// requestGone explains a request that is not in the tree, from the
// branch's history.
func (s *Session) requestGone(id string) error {
	e := &GoneError{ID: id}
	c, before, err := s.G.FindRemoval(s.Head, layout.RequestDir(id), RequestHistoryDepth)
	if err != nil || c == nil {
		return e
	}
	e.Commit, e.Why = c, layout.RequestRemoved
	switch {
	case layout.RequestTrailers(c.Message)[id] == layout.RequestApplied,
		// Commits made before the trailer said it in the subject only.
		strings.Contains(c.Message, "(request "+id+" applied)"):
		e.Why = layout.RequestApplied
	default:
		p := layout.RequestWithdrawalPath(id)
		if raw, err := before.ReadFile(p, layout.MaxRequestSize); err == nil {
			if _, w, err := state.ParseWithdrawal(p, raw); err == nil {
				e.Why, e.By = layout.RequestWithdrawn, fmt.Sprintf("%s on %s", w.By, w.Withdrawn.UTC().Format("2006-01-02 15:04 MST"))
			}
		}
	}
	return e
}

// withdrawnWhen is withdrawnError naming the commit that withdrew it.
func (s *Session) withdrawnWhen(id string, w *layout.Withdrawal) error {
	err := withdrawnError(id, w)
	c, _, ferr := s.G.FindAddition(s.Head, layout.RequestWithdrawalPath(id), RequestHistoryDepth)
	if ferr != nil || c == nil {
		return err
	}
	return &withdrawn{fmt.Sprintf("%s, by commit %s", err.Error(), c.Hash.String()[:12])}
}

func withdrawnError(id string, w *layout.Withdrawal) error {
	msg := fmt.Sprintf("%s: %s was withdrawn by %s on %s", ErrWithdrawn, id, w.By, w.Withdrawn.UTC().Format("2006-01-02 15:04 MST"))
	if w.Reason != "" {
		msg += fmt.Sprintf(" (reason: %q)", w.Reason)
	}
	return &withdrawn{msg}
}

type withdrawn struct{ msg string }

func (e *withdrawn) Error() string   { return e.msg }
func (e *withdrawn) Is(t error) bool { return t == ErrWithdrawn }

// requestIDs lists the request directories in the tree.
func (s *Session) requestIDs() ([]string, error) {
	var ids []string
	seen := map[string]bool{}
	err := s.Tree.WalkDir(layout.RequestsDir, func(e gitstore.Entry) error {
		if le, err := layout.Classify(e.Path); err == nil && !seen[le.Request] {
			seen[le.Request] = true
			ids = append(ids, le.Request)
		}
		return nil
	}, func(gitstore.BadName) error { return nil })
	sort.Strings(ids)
	return ids, err
}

// hasSignatureBy reports whether sigs hold a signature by keyid id.
func hasSignatureBy(sigs []metadata.Signature, id string) bool {
	for _, sg := range sigs {
		if sg.KeyID == id {
			return true
		}
	}
	return false
}
