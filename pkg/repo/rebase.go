package repo

import (
	"errors"
	"fmt"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
	"github.com/tufgit/tufgit/pkg/verify"
)

// RebaseOptions describe a rebase of a pending request.
type RebaseOptions struct {
	ID  string
	Key *keys.Key
	SubmitOptions
}

// RebaseResult says what a rebase did.
type RebaseResult struct {
	*Result
	// Old is the request that was rebased; it is gone (or withdrawn, with
	// a record naming the new one) in the same commit.
	Old string
}

// ErrNotRebasable means a request can not be made again automatically.
var ErrNotRebasable = errors.New("the request can not be rebased")

// Rebase makes a pending request's change again on top of the current
// head: for each role it proposes, what it changed from the role at its
// base (targets and delegations added, changed or removed) is applied to
// the role as it is now. The result is a new request, with the same note,
// signed with key where key may sign; everyone else must sign again, since
// they signed other bytes. The old request goes in the same commit (or,
// while it could still be applied, is withdrawn with a record signed by
// key).
func (s *Session) Rebase(o RebaseOptions) (*RebaseResult, error) {
	l, err := s.loadRequest(o.ID)
	if err != nil {
		return nil, err
	}
	req := l.p.Request
	if l.p.Root != nil {
		return nil, fmt.Errorf("%w: request %s proposes a new root; withdraw it and make the root change again", ErrNotRebasable, o.ID)
	}
	if err := s.checkRebase(l); err == nil {
		return nil, fmt.Errorf("%w: request %s applies to the current head as it is: sign it (`tufgit sign %s`)", ErrNothingToDo, o.ID, o.ID)
	}
	if req.Base == "" {
		return nil, fmt.Errorf("%w: request %s records no base commit", ErrNotRebasable, o.ID)
	}
	baseTree, err := s.G.TreeAt(gitstore.NewHash(req.Base))
	if err != nil {
		return nil, fmt.Errorf("%w: request %s was made against commit %.12s, which this repository does not have", ErrNotRebasable, o.ID, req.Base)
	}
	base := state.New(baseTree)
	roles := map[string]*metadata.Metadata[metadata.TargetsType]{}
	for name, proposed := range l.roles {
		var was *metadata.Metadata[metadata.TargetsType]
		if r, err := base.Role(name); err == nil {
			was = r.Meta
		} else if !state.IsNotExist(err) {
			return nil, err
		}
		now := metadata.Targets()
		if r, err := s.View.Role(name); err == nil {
			if now, err = clone(r.Meta); err != nil {
				return nil, err
			}
		} else if !state.IsNotExist(err) {
			return nil, err
		}
		if changed := replay(was, proposed, now); changed {
			now.Signatures = nil
			roles[name] = now
		}
	}
	if len(roles) == 0 {
		return nil, fmt.Errorf("%w: everything request %s proposes is in the current head already; withdraw it", ErrNothingToDo, o.ID)
	}
	ch := &Change{Kind: req.Kind, Project: req.Project, Note: req.Note, Roles: roles, ProjectConfig: l.p.ProjectConfig,
		Subject: fmt.Sprintf("request %s: rebased on the current head", o.ID), Artifacts: map[string]Artifact{}}
	for sha, e := range l.p.Artifacts {
		// The request's blob is carried over by id, not read.
		ch.Artifacts[sha] = Artifact{Blob: e.Hash, Length: -1}
	}
	// The old request goes: anyone may remove it once it can not be
	// applied; otherwise the rebaser withdraws it.
	var del []gitstore.FileChange
	if err := s.Tree.WalkDir(layout.RequestDir(o.ID), func(e gitstore.Entry) error {
		del = append(del, gitstore.FileChange{Path: e.Path})
		return nil
	}, func(gitstore.BadName) error { return nil }); err != nil {
		return nil, err
	}
	if verify.Prunable(l.p, s.View, s.Now) == "" {
		if o.Key == nil || !o.Key.CanSign() {
			return nil, fmt.Errorf("%w: request %s could still be applied, so rebasing it withdraws it, which takes a key that may sign it (--key)", ErrNeedsKey, o.ID)
		}
		if _, ok := verify.EntitledKeys(l.p, s.View)[o.Key.ID]; !ok {
			return nil, &NotAuthorizedError{Key: fmt.Sprintf("key %s (%s)", o.Key.Ref, trust.Short(o.Key.ID)), What: "a withdrawal of request " + o.ID}
		}
		rec, err := s.withdrawalRecord(o.ID, o.Key, "rebased on the current head")
		if err != nil {
			return nil, err
		}
		del = append(del, gitstore.FileChange{Path: layout.RequestWithdrawalPath(o.ID), Data: rec})
	}
	ch.Also = del
	key := o.Key
	if key != nil && !key.CanSign() {
		key = nil
	}
	res, err := s.Submit(ch, key, o.SubmitOptions)
	if errors.Is(err, ErrNotAuthorized) {
		// The rebaser may not sign the change itself (an admin rebasing a
		// release): the new request waits for every signature.
		res, err = s.Submit(ch, nil, o.SubmitOptions)
	}
	if err != nil {
		return nil, err
	}
	return &RebaseResult{Result: res, Old: o.ID}, nil
}

// replay applies to now what proposed changed from was: targets and
// delegations added, changed or removed. It reports whether now changed.
func replay(was, proposed, now *metadata.Metadata[metadata.TargetsType]) bool {
	changed := false
	var wasT map[string]*metadata.TargetFiles
	if was != nil {
		wasT = was.Signed.Targets
	}
	if now.Signed.Targets == nil {
		now.Signed.Targets = map[string]*metadata.TargetFiles{}
	}
	for p, tf := range proposed.Signed.Targets {
		if o, ok := wasT[p]; ok && trust.SameTargetFile(o, tf) {
			continue
		}
		if cur, ok := now.Signed.Targets[p]; ok && trust.SameTargetFile(cur, tf) {
			continue
		}
		now.Signed.Targets[p] = tf
		changed = true
	}
	for p := range wasT {
		if _, ok := proposed.Signed.Targets[p]; !ok {
			if _, ok := now.Signed.Targets[p]; ok {
				delete(now.Signed.Targets, p)
				changed = true
			}
		}
	}
	wasD := delegationsByName(was)
	propD := delegationsByName(proposed)
	for name, pd := range propD {
		if wd, ok := wasD[name]; ok && sameDelegatedRole(wd, pd, was, proposed) {
			continue
		}
		if now.Signed.Delegations == nil {
			now.Signed.Delegations = &metadata.Delegations{Keys: map[string]*metadata.Key{}}
		}
		replaced := false
		for i := range now.Signed.Delegations.Roles {
			if now.Signed.Delegations.Roles[i].Name == name {
				now.Signed.Delegations.Roles[i] = *pd
				replaced = true
			}
		}
		if !replaced {
			now.Signed.Delegations.Roles = append(now.Signed.Delegations.Roles, *pd)
		}
		for _, id := range pd.KeyIDs {
			now.Signed.Delegations.Keys[id] = proposed.Signed.Delegations.Keys[id]
		}
		changed = true
	}
	for name := range wasD {
		if _, ok := propD[name]; ok || now.Signed.Delegations == nil {
			continue
		}
		kept := now.Signed.Delegations.Roles[:0]
		for _, r := range now.Signed.Delegations.Roles {
			if r.Name != name {
				kept = append(kept, r)
			} else {
				changed = true
			}
		}
		now.Signed.Delegations.Roles = kept
	}
	if now.Signed.Delegations != nil {
		pruneKeys(now.Signed.Delegations)
	}
	return changed
}

func delegationsByName(m *metadata.Metadata[metadata.TargetsType]) map[string]*metadata.DelegatedRole {
	out := map[string]*metadata.DelegatedRole{}
	if m == nil || m.Signed.Delegations == nil {
		return out
	}
	for i := range m.Signed.Delegations.Roles {
		out[m.Signed.Delegations.Roles[i].Name] = &m.Signed.Delegations.Roles[i]
	}
	return out
}

func sameDelegatedRole(a, b *metadata.DelegatedRole, am, bm *metadata.Metadata[metadata.TargetsType]) bool {
	da, err1 := trust.FromTargets(am, a.Name)
	db, err2 := trust.FromTargets(bm, b.Name)
	return err1 == nil && err2 == nil && da.Equal(db)
}

// withdrawalRecord makes a signed withdrawal record of request id.
func (s *Session) withdrawalRecord(id string, key *keys.Key, reason string) ([]byte, error) {
	author, err := s.G.Author()
	if err != nil {
		return nil, err
	}
	when := s.Now.UTC().Truncate(time.Second)
	w := layout.Withdrawal{Request: id, Withdrawn: when, By: author.String(), Reason: reason}
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("withdrawal: %w", err)
	}
	m := metadata.Targets(when)
	m.Signed.Version = 1
	m.Signed.UnrecognizedFields = map[string]any{layout.WithdrawalField: w}
	if err := sign(m, key); err != nil {
		return nil, err
	}
	return encode(m)
}
