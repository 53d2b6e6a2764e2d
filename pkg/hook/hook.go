// Package hook decides whether git may accept a push: each ref update is
// checked with tufgit's verification (the move from the ref's old value,
// or from the protected branch it builds on), and protected refs may only
// move forward. It loads no key: it trusts nothing but public metadata.
package hook

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/verify"
)

// Limits on what git may hand the hook.
const (
	MaxUpdates = 10000
	maxLine    = 4096
)

// Update is one ref update of a push.
type Update struct {
	Old, New gitstore.Hash
	Ref      string
}

// ParseUpdates reads git's pre-receive input: "<old> <new> <ref>" lines.
func ParseUpdates(r io.Reader) ([]Update, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, maxLine), maxLine)
	var out []Update
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || !isHash(f[0]) || !isHash(f[1]) || !strings.HasPrefix(f[2], "refs/") {
			return nil, fmt.Errorf("pre-receive input line %d: want \"<old> <new> <ref>\"", n)
		}
		if len(out) == MaxUpdates {
			return nil, fmt.Errorf("pre-receive input: more than %d ref updates", MaxUpdates)
		}
		out = append(out, Update{Old: gitstore.NewHash(f[0]), New: gitstore.NewHash(f[1]), Ref: f[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pre-receive input: %w", err)
	}
	return out, nil
}

func isHash(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// DefaultProtected is protected when the repository configures nothing.
const DefaultProtected = "refs/heads/main"

// Policy says which refs are protected: they may not be deleted and may
// only move forward. Patterns use path.Match ("refs/heads/release/*").
type Policy struct {
	Protected []string
}

// PolicyFor reads the policy from the repository's git config
// (tufgit.protectedRef, repeatable), defaulting to the main branch.
func PolicyFor(g *gitstore.Repo) (Policy, error) {
	refs, err := g.ConfigValues("tufgit", "protectedRef")
	if err != nil {
		return Policy{}, err
	}
	if len(refs) == 0 {
		refs = []string{DefaultProtected}
	}
	return Policy{Protected: refs}, nil
}

// IsProtected reports whether ref is protected.
func (p Policy) IsProtected(ref string) bool {
	for _, pat := range p.Protected {
		if ok, _ := path.Match(pat, ref); ok || pat == ref {
			return true
		}
	}
	return false
}

// Shadows names the protected branch whose short name ref carries as
// its last path components without being that branch: refs/tags/main,
// refs/remotes/origin/main, refs/notes/main and refs/heads/x/main all
// shadow refs/heads/main. git resolves a short name by its own precedence
// (a tag before a branch), so such a ref would make "main" name the
// wrong history for anyone who types it. For a pattern
// (refs/heads/release/*), ref shadows the existing protected branch of
// its short name (refs/tags/release/1 shadows refs/heads/release/1, when
// that exists); exists says whether a ref exists. ok is false when ref
// shadows nothing.
func (p Policy) Shadows(ref string, exists func(string) bool) (branch string, ok bool) {
	parts := strings.Split(ref, "/")
	for _, pat := range p.Protected {
		if m, _ := path.Match(pat, ref); m || pat == ref {
			continue // the branch itself
		}
		short, isBranch := strings.CutPrefix(pat, "refs/heads/")
		if !isBranch || short == "" {
			continue
		}
		n := len(strings.Split(short, "/"))
		if len(parts) < n+1 {
			continue
		}
		tail := strings.Join(parts[len(parts)-n:], "/")
		if !strings.ContainsAny(short, "*?[\\") {
			if tail == short {
				return pat, true
			}
			continue
		}
		cand := "refs/heads/" + tail
		if m, _ := path.Match(pat, cand); m && cand != ref && exists != nil && exists(cand) {
			return cand, true
		}
	}
	return "", false
}

// ShadowedBy is the other way round: a protected branch ref (under
// refs/heads/) whose short name an existing ref already carries
// (refs/tags/release/1 when refs/heads/release/1 is created).
func (p Policy) ShadowedBy(ref string, exists func(string) bool) (other string, ok bool) {
	short, isBranch := strings.CutPrefix(ref, "refs/heads/")
	if !isBranch || !p.IsProtected(ref) || exists == nil {
		return "", false
	}
	for _, rule := range []string{"refs/%s", "refs/tags/%s", "refs/remotes/%s", "refs/notes/%s", "refs/remotes/%s/HEAD"} {
		if c := fmt.Sprintf(rule, short); exists(c) {
			return c, true
		}
	}
	return "", false
}

// ShadowsHead reports whether ref would make "HEAD" name two things for
// git (refs/tags/HEAD, refs/heads/HEAD): tufgit then refuses to resolve
// HEAD at all, which is what `tufgit publish` publishes by default.
func ShadowsHead(ref string) bool {
	return ref == "refs/HEAD" || strings.HasSuffix(ref, "/HEAD")
}

// Result is the verdict on one ref update.
type Result struct {
	Update
	Accepted bool
	// Reasons says why a ref update was refused (policy), in words.
	Reasons []string
	// Report is the verification report, when one ran.
	Report *verify.Report
	// Base says what the update was verified against.
	Base string
}

// Check judges each update of a push. The repository must be opened with
// gitstore.OpenReceiving so the pushed objects are visible.
func Check(g *gitstore.Repo, ups []Update, pol Policy, opts verify.Options) ([]Result, error) {
	var out []Result
	for _, u := range ups {
		r := Result{Update: u}
		err := check(g, &r, pol, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", u.Ref, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// ReservedPrefix holds the refs only the publisher writes
// (refs/tufgit/published). No push may create, move or delete one, except
// a publisher's claim on RecordRef (checkRecord).
const ReservedPrefix = "refs/tufgit/"

// RecordRef is the publisher's record (publish.StateRef), which a standby
// publisher claims by a push with --force-with-lease (docs/server.md).
const RecordRef = "refs/tufgit/published"

func check(g *gitstore.Repo, r *Result, pol Policy, opts verify.Options) error {
	u := r.Update
	if u.Ref == RecordRef && u.New != gitstore.ZeroHash {
		if why := checkRecord(g, u, pol); why != "" {
			r.Reasons = append(r.Reasons, why)
			return nil
		}
		r.Accepted = true
		return nil
	}
	if strings.HasPrefix(u.Ref, ReservedPrefix) {
		r.Reasons = append(r.Reasons, fmt.Sprintf("%s* is written only by the publisher on the server; a push may not create, move or delete %s", ReservedPrefix, u.Ref))
		return nil
	}
	protected := pol.IsProtected(u.Ref)
	if u.New != gitstore.ZeroHash {
		// Deleting such a ref is allowed: it only removes the ambiguity.
		exists := func(name string) bool {
			h, err := g.ResolveRef(name)
			return err == nil && h != gitstore.ZeroHash
		}
		// Only when the branch is created: moving one does not make a
		// name ambiguous, and a push to main then reads no extra refs.
		if u.Old == gitstore.ZeroHash {
			if other, ok := pol.ShadowedBy(u.Ref, exists); ok {
				r.Reasons = append(r.Reasons, fmt.Sprintf("%s is a protected branch, but %s already carries its short name; a short name must name one ref: delete %s first", u.Ref, other, other))
				return nil
			}
		}
		if branch, ok := pol.Shadows(u.Ref, exists); ok {
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s ends in the short name of the protected branch %s; a short name must name one ref, so no tag, remote, note or other ref may carry it: push it under another name (e.g. refs/tags/v1.0)", u.Ref, branch))
			return nil
		}
		if ShadowsHead(u.Ref) {
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s ends in HEAD, which would make HEAD name two things: push it under another name", u.Ref))
			return nil
		}
	}
	if u.New == gitstore.ZeroHash {
		if protected {
			r.Reasons = append(r.Reasons, "deleting a protected ref is not allowed")
			return nil
		}
		r.Accepted = true
		return nil
	}
	if _, err := g.Commit(u.New); err != nil {
		r.Reasons = append(r.Reasons, fmt.Sprintf("%s is not a commit", u.New))
		return nil
	}
	var base gitstore.Hash
	if u.Old != gitstore.ZeroHash {
		ok, err := g.IsAncestor(u.Old, u.New)
		if err != nil {
			return err
		}
		switch {
		case ok:
			base, r.Base = u.Old, "the ref's previous commit "+u.Old.String()[:12]
		case protected:
			r.Reasons = append(r.Reasons, fmt.Sprintf("non-fast-forward update of a protected ref (%s is not an ancestor of %s)", u.Old.String()[:12], u.New.String()[:12]))
			return nil
		}
	}
	if base == gitstore.ZeroHash {
		// A new ref, or a rewritten unprotected one: judge it against the
		// protected branch it builds on, or on its own.
		for _, pat := range pol.Protected {
			if strings.ContainsAny(pat, "*?[") {
				continue
			}
			cur, err := g.ResolveRef(pat)
			if err != nil || cur == gitstore.ZeroHash {
				continue
			}
			if ok, err := g.IsAncestor(cur, u.New); err == nil && ok {
				base, r.Base = cur, pat+" at "+cur.String()[:12]
				break
			}
		}
	}
	var rep *verify.Report
	var err error
	if base != gitstore.ZeroHash {
		rep, err = verify.Since(g, base, u.New, opts)
	} else {
		r.Base = "nothing (a full check)"
		rep, err = verify.Commit(g, u.New, opts)
	}
	if err != nil {
		return err
	}
	r.Report = rep
	r.Accepted = rep.Valid()
	return nil
}

// checkRecord accepts a publisher's claim pushed to RecordRef, or says
// why not: the record only moves forward (the new record commit descends
// from the old one), and it names a commit a protected branch holds that
// descends from the one the old record named. The record is not trusted
// (publish still verifies, and checks the mirror), but a pushed record
// may not point the next publish's incremental verification at a commit
// the hook never accepted, nor back in history.
func checkRecord(g *gitstore.Repo, u Update, pol Policy) string {
	named := func(h gitstore.Hash) (gitstore.Hash, string) {
		tree, err := g.TreeAt(h)
		if err != nil {
			return gitstore.ZeroHash, fmt.Sprintf("%s is not a publisher's record: %v", h.String()[:12], err)
		}
		raw, err := tree.ReadFile("state.json", 4<<20)
		if err != nil {
			return gitstore.ZeroHash, fmt.Sprintf("%s is not a publisher's record: no state.json", h.String()[:12])
		}
		var st struct {
			Commit string `json:"commit"`
		}
		var c gitstore.Hash
		err = json.Unmarshal(raw, &st)
		if err == nil {
			c, err = gitstore.ParseHash(st.Commit)
		}
		if err != nil {
			return gitstore.ZeroHash, fmt.Sprintf("%s is not a publisher's record: state.json names no commit", h.String()[:12])
		}
		return c, ""
	}
	hint := "only a publisher claims " + RecordRef + ", with `tufgit publish --shared REMOTE` (docs/server.md#two-publishers)"
	c, why := named(u.New)
	if why != "" {
		return why + "; " + hint
	}
	if u.Old != gitstore.ZeroHash {
		if ok, err := g.IsAncestor(u.Old, u.New); err != nil || !ok {
			return fmt.Sprintf("non-fast-forward update of %s (%s is not an ancestor of %s): a publisher's record only moves forward; %s", RecordRef, u.Old.String()[:12], u.New.String()[:12], hint)
		}
		if prev, why := named(u.Old); why == "" && prev != c {
			if ok, err := g.IsAncestor(prev, c); err != nil || !ok {
				return fmt.Sprintf("the record would name %s, which does not descend from %s, the commit published before; %s", c.String()[:12], prev.String()[:12], hint)
			}
		}
	}
	for _, pat := range pol.Protected {
		if strings.ContainsAny(pat, "*?[") {
			continue
		}
		cur, err := g.ResolveRef(pat)
		if err != nil || cur == gitstore.ZeroHash {
			continue
		}
		if ok, err := g.IsAncestor(c, cur); err == nil && ok {
			return ""
		}
	}
	return fmt.Sprintf("the record names %s, which no protected branch holds: a publisher publishes only what the hook accepted; %s", c.String()[:12], hint)
}

// ErrRejected is returned when a push is refused.
var ErrRejected = errors.New("push rejected")
