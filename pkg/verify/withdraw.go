package verify

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
)

// A pending request may be in the way of an attacker: the admins' request
// that removes a compromised maintainer key, say. So a push may not make
// one disappear, or change it, without a key:
//
//   - a pending request changes only by gaining signatures (and its base,
//     when a signer rebases it);
//   - it leaves the tree when it is applied, when it can no longer be
//     applied (a role it proposes is at its proposed version or later),
//     when its proposed metadata has expired (anyone may prune those), or
//     when a withdrawal record signed by a key entitled to it replaces it.

// EntitledKeys are the keys whose signature may withdraw a request: every
// key that may sign one of its proposed roles (for a root, under the new
// root and the current one), and every key the request would newly
// delegate to (the maintainers a project creation or a maintainer change
// names, so a requester can withdraw what they asked for). current is the
// tree the request is pending in.
func EntitledKeys(p *Proposal, current *state.View) map[string]*metadata.Key {
	out := map[string]*metadata.Key{}
	addAll := func(d *trust.Delegation) {
		if d == nil {
			return
		}
		for id, k := range d.Keys {
			out[id] = k
		}
	}
	for _, role := range p.Roles {
		if role == layout.RoleRoot {
			if p.Root == nil {
				continue
			}
			d, _ := trust.FromRoot(p.Root, layout.RoleRoot)
			addAll(d)
			if cur, err := current.Root(); err == nil {
				d, _ := trust.FromRoot(cur, layout.RoleRoot)
				addAll(d)
			}
			continue
		}
		d, _, err := p.View.Delegation(role)
		if err == nil {
			addAll(d)
		}
		r, err := p.View.Role(role)
		if err != nil || r.Meta.Signed.Delegations == nil {
			continue
		}
		for _, dr := range r.Meta.Signed.Delegations.Roles {
			nd, err := trust.FromTargets(r.Meta, dr.Name)
			if err != nil {
				continue
			}
			if od, _, err := current.Delegation(dr.Name); err == nil && od.Equal(nd) {
				continue
			}
			addAll(nd)
		}
	}
	return out
}

// CheckWithdrawal checks a withdrawal record of request id against the
// keys entitled to withdraw it, and returns the record and the keyids whose
// signatures count.
func CheckWithdrawal(path string, raw []byte, id string, entitled map[string]*metadata.Key) (*layout.Withdrawal, []string, error) {
	m, w, err := state.ParseWithdrawal(path, raw)
	if err != nil {
		return nil, nil, unwrapParse(err)
	}
	if w.Request != id {
		return nil, nil, fmt.Errorf("withdraws request %q, but lives in %s", w.Request, layout.RequestDir(id))
	}
	d := &trust.Delegation{Role: "withdrawal", Keys: entitled, Threshold: 1}
	for kid := range entitled {
		d.KeyIDs = append(d.KeyIDs, kid)
	}
	sort.Strings(d.KeyIDs)
	if len(d.KeyIDs) == 0 {
		return nil, nil, errors.New("no key is entitled to withdraw this request")
	}
	s := trust.Check(d, m, m.Signatures)
	if len(s.Invalid) > 0 {
		return nil, nil, fmt.Errorf("signature by key %s does not verify", trust.Short(s.Invalid[0]))
	}
	if !s.Met {
		return nil, nil, errors.New("not signed by a key that may sign the request or that it delegates to")
	}
	return w, s.Valid, nil
}

// checkTombstone checks a withdrawn request's directory in a full check:
// the record alone, well formed. (Who signed it was judged against the
// request it replaced when it was pushed.)
func (c *checker) checkTombstone(id string) {
	p := layout.RequestWithdrawalPath(id)
	err := c.tree.WalkDir(layout.RequestDir(id), func(e gitstore.Entry) error {
		if e.Path != p {
			c.rep.add(e.Path, "", CodeRequest, "request %s is withdrawn: %s must be the only file of %s", id, layout.RequestWithdrawalFile, layout.RequestDir(id))
		}
		return nil
	}, func(gitstore.BadName) error { return nil })
	if err != nil {
		c.rep.add(layout.RequestDir(id), "", CodeRequest, "%v", err)
		return
	}
	raw, err := c.tree.ReadFile(p, layout.MaxRequestSize)
	if err != nil {
		c.rep.add(p, "", CodeRequest, "%v", err)
		return
	}
	_, w, err := state.ParseWithdrawal(p, raw)
	if err != nil {
		c.rep.add(p, "", CodeRequest, "%v", unwrapParse(err))
		return
	}
	if w.Request != id {
		c.rep.add(p, "", CodeRequest, "withdraws request %q, but lives in %s", w.Request, layout.RequestDir(id))
	}
}

// Prunable says why anyone may remove a pending request without a
// withdrawal record: it has been applied or can no longer be applied (a
// role it proposes is at the proposed version or later in view), or its
// proposed metadata has expired. It returns "" when neither holds.
func Prunable(p *Proposal, view *state.View, now time.Time) string {
	// A request carrying a signature that does not verify can never be
	// applied. (A push can not make one so: requests only gain signatures.)
	for _, role := range p.Roles {
		var d *trust.Delegation
		var md any
		var sigs []metadata.Signature
		if role == layout.RoleRoot {
			d, _ = trust.FromRoot(p.Root, layout.RoleRoot)
			md, sigs = p.Root, p.Root.Signatures
		} else if r, err := p.View.Role(role); err == nil {
			d, _, _ = p.View.Delegation(role)
			md, sigs = r.Meta, r.Meta.Signatures
		}
		if d == nil {
			continue
		}
		if s := trust.Check(d, md, sigs); len(s.Invalid) > 0 {
			return fmt.Sprintf("its signature by key %s on %s does not verify", trust.Short(s.Invalid[0]), role)
		}
	}
	// An admin-signed removal of keys still delegated is held: neither
	// the key being removed nor anyone else can make it go by moving a
	// role on (removal.go). Only its expiry lets anyone prune it.
	if heldRemoval(p, view, now) != nil {
		return proposalExpired(p, now)
	}
	for _, role := range p.Roles {
		if role == layout.RoleRoot {
			continue
		}
		// A role the tree no longer delegates, and that the request does
		// not delegate itself: its project was removed.
		if _, _, err := view.Delegation(role); err != nil {
			if parent, perr := p.View.Parent(role); perr != nil || !slices.Contains(p.Roles, parent) {
				return fmt.Sprintf("%s is no longer delegated", role)
			}
		}
	}
	for _, role := range p.Roles {
		if role == layout.RoleRoot {
			if cur, err := view.Root(); err == nil && cur.Signed.Version >= p.Root.Signed.Version {
				return fmt.Sprintf("root is at version %d, the request proposed %d", cur.Signed.Version, p.Root.Signed.Version)
			}
			if p.Root.Signed.IsExpired(now) {
				return fmt.Sprintf("its proposed root expired on %s", p.Root.Signed.Expires.UTC().Format("2006-01-02"))
			}
			continue
		}
		r, err := p.View.Role(role)
		if err != nil {
			continue
		}
		if cur, err := view.Role(role); err == nil && cur.Meta.Signed.Version >= r.Meta.Signed.Version {
			return fmt.Sprintf("%s is at version %d, the request proposed %d", role, cur.Meta.Signed.Version, r.Meta.Signed.Version)
		}
		if r.Meta.Signed.IsExpired(now) {
			return fmt.Sprintf("its proposed %s expired on %s", role, r.Meta.Signed.Expires.UTC().Format("2006-01-02"))
		}
	}
	return ""
}

// proposalExpired says which proposed role of p has expired at now; "" when
// none has.
func proposalExpired(p *Proposal, now time.Time) string {
	for _, role := range p.Roles {
		if role == layout.RoleRoot {
			if p.Root != nil && p.Root.Signed.IsExpired(now) {
				return fmt.Sprintf("its proposed root expired on %s", p.Root.Signed.Expires.UTC().Format("2006-01-02"))
			}
			continue
		}
		if r, err := p.View.Role(role); err == nil && r.Meta.Signed.IsExpired(now) {
			return fmt.Sprintf("its proposed %s expired on %s", role, r.Meta.Signed.Expires.UTC().Format("2006-01-02"))
		}
	}
	return ""
}

// checkRequestTransitions applies the rules above to every request the
// change touches.
func (t *transition) checkRequestTransitions() {
	for _, id := range slices.Sorted(maps.Keys(t.requests)) {
		t.checkRequestTransition(id)
	}
}

func (t *transition) checkRequestTransition(id string) {
	c := t.c
	dir := layout.RequestDir(id)
	has := func(tree *gitstore.Tree, p string) bool { ok, _ := tree.Exists(p); return ok }
	oldTomb, newTomb := has(t.oldTree, layout.RequestWithdrawalPath(id)), has(c.tree, layout.RequestWithdrawalPath(id))
	oldPending := !oldTomb && has(t.oldTree, dir)
	newPending := !newTomb && has(c.tree, dir)
	switch {
	case !oldPending && newTomb:
		// A record for a request this push both filed and withdrew (the
		// hook sees only each push's end) takes nothing away from anyone;
		// checkTombstone checks its form. A record never changes.
		if oldTomb && t.changedPath(layout.RequestWithdrawalPath(id)) {
			c.rep.add(layout.RequestWithdrawalPath(id), "", CodeImmutable, "a withdrawal record is never changed; remove it, or leave it")
		}
	case !oldPending:
		// A new request (anyone may file one), or a withdrawal record pruned.
	case newPending:
		t.checkRequestImmutable(id)
	default:
		old, errs := ReadProposal(t.oldTree, id)
		if len(errs) > 0 || old == nil {
			return // it was broken before; nothing of value is lost
		}
		held := heldRemoval(old, c.view, c.now)
		if !newTomb {
			if why := Prunable(old, c.view, c.now); why != "" {
				return
			}
			if held != nil {
				c.rep.add(dir, "", CodeRequest,
					"request %s takes key(s) %s away from %s and an admin has signed it: it stays until applied, expired, or withdrawn by an admin, even when stale (an admin runs `tufgit request rebase %s --key ADMIN-KEY`, or `tufgit request withdraw %s --key ADMIN-KEY`)",
					id, shortIDs(held.Keys), held.Project, id, id)
				return
			}
			c.rep.add(dir, "", CodeRequest,
				"request %s was removed without a signed withdrawal; withdraw it with `tufgit request withdraw %s --key KEY` (a key that may sign it, or that it delegates to)", id, id)
			return
		}
		p := layout.RequestWithdrawalPath(id)
		raw, err := c.tree.ReadFile(p, layout.MaxRequestSize)
		if err != nil {
			c.rep.add(p, "", CodeRequest, "%v", err)
			return
		}
		entitled := EntitledKeys(old, t.oldView)
		if held != nil {
			// Only the admins undo what an admin signed against a key.
			if _, _, err := CheckWithdrawal(p, raw, id, adminKeys(old)); err != nil {
				c.rep.add(p, "", CodeSignature, "withdrawal of request %s: %v; it takes key(s) %s away from %s and an admin has signed it, so only an admin may withdraw it",
					id, err, shortIDs(held.Keys), held.Project)
			}
			return
		}
		if _, _, err := CheckWithdrawal(p, raw, id, entitled); err != nil {
			c.rep.add(p, "", CodeSignature, "withdrawal of request %s: %v", id, err)
		}
	}
}

func (t *transition) changedPath(p string) bool {
	for _, ch := range t.changes {
		if ch.Path == p {
			return true
		}
	}
	return false
}

// checkRequestImmutable: a pending request changes only by gaining
// signatures on its proposed metadata, and its base.
func (t *transition) checkRequestImmutable(id string) {
	c := t.c
	dir := layout.RequestDir(id)
	files := func(tree *gitstore.Tree) map[string]gitstore.Entry {
		out := map[string]gitstore.Entry{}
		_ = tree.WalkDir(dir, func(e gitstore.Entry) error {
			out[e.Path] = e
			return nil
		}, func(gitstore.BadName) error { return nil })
		return out
	}
	before, after := files(t.oldTree), files(c.tree)
	for p, e := range after {
		o, ok := before[p]
		le, _ := layout.Classify(p)
		switch {
		case !ok:
			c.rep.add(p, "", CodeRequest, "adds a file to pending request %s; a request changes only by gaining signatures (file a new request instead)", id)
		case o.Hash == e.Hash:
		case le.Kind == layout.KindRequest:
			t.checkRequestFileEdit(p)
		case le.Kind == layout.KindRequestRole:
			t.checkSignaturesOnly(p, le.Role)
		default:
			c.rep.add(p, "", CodeRequest, "changes pending request %s; a request changes only by gaining signatures (file a new request instead)", id)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			c.rep.add(p, "", CodeRequest, "removes a file from pending request %s; a request changes only by gaining signatures", id)
		}
	}
}

// checkRequestFileEdit allows request.json to change its base only.
func (t *transition) checkRequestFileEdit(p string) {
	c := t.c
	read := func(tree *gitstore.Tree) *layout.Request {
		raw, err := tree.ReadFile(p, layout.MaxRequestSize)
		if err != nil {
			return nil
		}
		r, err := layout.ParseRequest(raw)
		if err != nil {
			return nil
		}
		return r
	}
	o, n := read(t.oldTree), read(c.tree)
	if o == nil || n == nil {
		return // a parse problem is reported by checkRequest
	}
	same := o.Type == n.Type && o.FormatVersion == n.FormatVersion && o.ID == n.ID && o.Kind == n.Kind &&
		o.Project == n.Project && o.Author == n.Author && o.Created.Equal(n.Created) && o.Note == n.Note
	if !same {
		c.rep.add(p, "", CodeRequest, "changes pending request %s beyond its base commit; a request changes only by gaining signatures", o.ID)
	}
}

// checkSignaturesOnly allows a proposed role to gain signatures: the same
// signed content, and every signature it had still there.
func (t *transition) checkSignaturesOnly(p, role string) {
	c := t.c
	type parsed struct {
		signed []byte
		sigs   []metadata.Signature
	}
	read := func(tree *gitstore.Tree) *parsed {
		var signed any
		var sigs []metadata.Signature
		if role == layout.RoleRoot {
			raw, err := tree.ReadFile(p, layout.MaxRootSize)
			m, perr := state.ParseRoot(p, raw)
			if err != nil || perr != nil {
				return nil
			}
			signed, sigs = m.Signed, m.Signatures
		} else {
			raw, err := tree.ReadFile(p, layout.MaxTargetsSize)
			m, perr := state.ParseTargets(p, raw)
			if err != nil || perr != nil {
				return nil
			}
			signed, sigs = m.Signed, m.Signatures
		}
		b, err := cjson.EncodeCanonical(signed)
		if err != nil {
			return nil
		}
		return &parsed{b, sigs}
	}
	o, n := read(t.oldTree), read(c.tree)
	if o == nil || n == nil {
		return // a parse problem is reported by checkRequest
	}
	if !bytes.Equal(o.signed, n.signed) {
		c.rep.add(p, role, CodeRequest, "changes the proposed metadata of a pending request; a request changes only by gaining signatures (file a new request instead)")
		return
	}
	for _, os := range o.sigs {
		kept := false
		for _, ns := range n.sigs {
			if ns.KeyID == os.KeyID && bytes.Equal(ns.Signature, os.Signature) {
				kept = true
				break
			}
		}
		if !kept {
			c.rep.add(p, role, CodeRequest, "drops the signature of key %s from a pending request", trust.Short(os.KeyID))
		}
	}
}
