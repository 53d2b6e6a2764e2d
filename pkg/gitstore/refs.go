package gitstore

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Resolve turns a revision into a commit hash. Names are resolved
// explicitly, never by git's precedence between refs of one short name:
//
//   - a full hash (40 hex digits);
//   - HEAD, or a full ref name (refs/heads/main, refs/tags/v1);
//   - a short name (main, v1, origin/main), which must match exactly one
//     of refs/NAME, refs/tags/NAME, refs/heads/NAME, refs/remotes/NAME
//     and refs/remotes/NAME/HEAD: a name that matches two (a branch and a
//     tag called main) is ErrAmbiguousRev, naming both;
//   - an abbreviated hash (4 to 39 hex digits) that no ref is named;
//
// each optionally followed by ancestry steps (~N, ^N, ^). Anything else
// (HEAD:path, @{...}, ranges) is ErrUnknownRev.
func (r *Repo) Resolve(rev string) (Hash, error) {
	base, steps, err := splitRev(rev)
	if err != nil {
		return ZeroHash, err
	}
	h, err := r.resolveName(rev, base)
	if err != nil {
		return ZeroHash, err
	}
	// The ancestry steps, and the check that it is a commit, from the
	// hash: nothing is looked up by name any more.
	expr := h.String() + steps
	if h, ok, err := r.catResolve(expr); ok {
		if err != nil {
			return ZeroHash, revError(rev, err)
		}
		return h, nil
	}
	if t, err := r.r.TagObject(plumbing.Hash(h)); err == nil {
		// An annotated tag: its commit (git's ^{commit}).
		c, err := t.Commit()
		if err != nil {
			return ZeroHash, fmt.Errorf("%q is not a commit: %w", rev, ErrUnknownRev)
		}
		expr = c.Hash.String() + steps
	}
	ch, err := r.r.ResolveRevision(plumbing.Revision(expr))
	if err != nil {
		return ZeroHash, fmt.Errorf("%q: %w", rev, ErrUnknownRev)
	}
	if _, err := r.r.CommitObject(*ch); err != nil {
		return ZeroHash, fmt.Errorf("%q is not a commit: %w", rev, ErrUnknownRev)
	}
	return Hash(*ch), nil
}

// revError names the revision the user gave in catResolve's errors, which
// name the hash expression.
func revError(rev string, err error) error {
	if errors.Is(err, ErrUnknownRev) {
		if strings.Contains(err.Error(), "is not a commit") {
			return fmt.Errorf("%q is not a commit: %w", rev, ErrUnknownRev)
		}
		return fmt.Errorf("%q: %w", rev, ErrUnknownRev)
	}
	return err
}

// splitRev splits a revision into its name and its ancestry steps
// ("main~2^" is "main" and "~2^").
func splitRev(rev string) (base, steps string, err error) {
	i := strings.IndexAny(rev, "~^")
	if i < 0 {
		i = len(rev)
	}
	base, steps = rev[:i], rev[i:]
	if base == "" || len(rev) > 1024 || !validSteps(steps) || !validRefName(base) {
		return "", "", fmt.Errorf("%q: %w (give a branch, tag, full ref name or commit hash, optionally followed by ~N or ^N)", rev, ErrUnknownRev)
	}
	return base, steps, nil
}

func validSteps(s string) bool {
	for i := 0; i < len(s); {
		if s[i] != '~' && s[i] != '^' {
			return false
		}
		i++
		for n := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if n++; n > 6 {
				return false
			}
		}
	}
	return true
}

// validRefName accepts what git accepts as a ref name's characters, and
// nothing of rev-parse's other syntax (":", "@{", "..", spaces).
func validRefName(s string) bool {
	if strings.Contains(s, "..") || strings.Contains(s, "@{") || strings.Contains(s, "//") ||
		strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") || strings.HasSuffix(s, ".lock") || s == "@" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f || strings.IndexByte(":?*[\\~^", c) >= 0 {
			return false
		}
	}
	return true
}

// shortNameRules are the refs a short name may stand for, in git's order
// (refs.c's ref_rev_parse_rules, without $GIT_DIR/NAME).
var shortNameRules = []string{"refs/%s", "refs/tags/%s", "refs/heads/%s", "refs/remotes/%s", "refs/remotes/%s/HEAD"}

// resolveName resolves the name part of a revision to an object hash.
func (r *Repo) resolveName(rev, name string) (Hash, error) {
	if isHex(name) && len(name) == 40 {
		return ParseHash(name)
	}
	if name == "HEAD" || strings.HasPrefix(name, "refs/") {
		if name == "HEAD" {
			// A branch or tag called HEAD would make "HEAD" ambiguous
			// to git; refuse it too.
			if err := r.ambiguous(rev, name, "HEAD"); err != nil {
				return ZeroHash, err
			}
		}
		h, err := r.refTarget(name)
		if err != nil {
			return ZeroHash, err
		}
		if h == ZeroHash {
			return ZeroHash, fmt.Errorf("%q: no ref %s: %w", rev, name, ErrUnknownRev)
		}
		return h, nil
	}
	found, at, err := r.refsNamed(name)
	if err != nil {
		return ZeroHash, err
	}
	if isHex(name) && len(name) >= 4 {
		if len(found) > 0 {
			// git would take the ref; the user may mean a commit.
			return ZeroHash, fmt.Errorf("%q %w: %s, or a commit abbreviated to it; give the full commit hash or the full ref name", rev, ErrAmbiguousRev, strings.Join(found, " and "))
		}
		if h, ok, err := r.catResolve(name); ok {
			if err != nil {
				return ZeroHash, revError(rev, err)
			}
			return h, nil
		}
		if h, err := r.r.ResolveRevision(plumbing.Revision(name)); err == nil {
			return Hash(*h), nil
		}
	}
	switch len(found) {
	case 0:
		return ZeroHash, fmt.Errorf("%q: %w", rev, ErrUnknownRev)
	case 1:
		return at, nil
	}
	eg := found[0]
	for _, f := range found {
		if strings.HasPrefix(f, "refs/heads/") {
			eg = f
		}
	}
	return ZeroHash, fmt.Errorf("%q %w: %s; spell out the one you mean (e.g. %s)", rev, ErrAmbiguousRev, strings.Join(found, " and "), eg)
}

// ambiguous refuses a pseudo-ref name (HEAD) that a ref of the same short
// name shadows for git.
func (r *Repo) ambiguous(rev, pseudo, name string) error {
	found, _, err := r.refsNamed(name)
	if err != nil {
		return err
	}
	if len(found) > 0 {
		return fmt.Errorf("%q %w: %s and %s; spell out the one you mean", rev, ErrAmbiguousRev, pseudo, strings.Join(found, " and "))
	}
	return nil
}

// refsNamed lists the refs a short name may stand for that exist, in
// shortNameRules' order, and what the last one points at. With git
// installed it asks git once (for-each-ref reads packed refs by binary
// search; go-git parses the whole packed-refs file for every name it
// looks up: 20 ms for five names beside 5,000 packed tags).
func (r *Repo) refsNamed(name string) (found []string, at Hash, err error) {
	names := make([]string, len(shortNameRules))
	for i, rule := range shortNameRules {
		names[i] = fmt.Sprintf(rule, name)
	}
	if got, ok := r.gitRefs(names); ok {
		for _, full := range names {
			if h, ok := got[full]; ok {
				found, at = append(found, full), h
			}
		}
		return found, at, nil
	}
	for _, full := range names {
		h, err := r.refTarget(full)
		if err != nil {
			return nil, ZeroHash, err
		}
		if h != ZeroHash {
			found, at = append(found, full), h
		}
	}
	return found, at, nil
}

// gitRefs asks git which of names exist, and what each points at
// (symbolic refs followed). ok is false when git can not answer: the
// caller then reads refs through go-git.
func (r *Repo) gitRefs(names []string) (map[string]Hash, bool) {
	if r.cat == nil {
		return nil, false
	}
	args := append([]string{"--git-dir=" + r.cat.gitDir, "for-each-ref", "--format=%(objectname) %(refname)", "--"}, names...)
	cmd := exec.Command("git", args...)
	cmd.Env = r.cat.env
	out, err := cmd.Output()
	if err != nil {
		return nil, false
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	got := map[string]Hash{}
	for _, line := range strings.Split(string(out), "\n") {
		oid, ref, ok := strings.Cut(line, " ")
		if !ok || !want[ref] {
			continue // a pattern also matches refs below it (refs/tags/main/x)
		}
		h, err := ParseHash(oid)
		if err != nil {
			return nil, false
		}
		got[ref] = h
	}
	return got, true
}

// refTarget is what a ref (HEAD or a full name) points at, following
// symbolic refs; ZeroHash when it does not exist.
func (r *Repo) refTarget(name string) (Hash, error) {
	ref, err := r.r.Reference(plumbing.ReferenceName(name), true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return ZeroHash, nil
	}
	if err != nil {
		return ZeroHash, fmt.Errorf("%s: %w", name, err)
	}
	return Hash(ref.Hash()), nil
}

// FullRef is the full name of the one ref a short name or full name
// stands for ("main" is "refs/heads/main" when nothing else is named
// main), or "" when rev is a hash, HEAD or an expression.
func (r *Repo) FullRef(rev string) string {
	if strings.HasPrefix(rev, "refs/") {
		if h, _ := r.refTarget(rev); h != ZeroHash {
			return rev
		}
		return ""
	}
	if rev == "HEAD" || strings.ContainsAny(rev, "~^") || !validRefName(rev) {
		return ""
	}
	found, _, _ := r.refsNamed(rev)
	if len(found) == 1 {
		return found[0]
	}
	return ""
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}

// Branch returns the commit a branch points at, or ZeroHash when the branch
// does not exist yet.
func (r *Repo) Branch(name string) (Hash, error) {
	ref, err := r.r.Reference(plumbing.NewBranchReferenceName(name), true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return ZeroHash, nil
	}
	if err != nil {
		return ZeroHash, err
	}
	return Hash(ref.Hash()), nil
}

// HeadBranch is the short name of the branch HEAD points at.
func (r *Repo) HeadBranch() (string, error) {
	ref, err := r.r.Reference(plumbing.HEAD, false)
	if err != nil {
		return "", err
	}
	if ref.Type() != plumbing.SymbolicReference || !ref.Target().IsBranch() {
		return "", errors.New("HEAD is detached: check out a branch first")
	}
	return ref.Target().Short(), nil
}

// SetBranch moves a branch from old to new, only if it still points at old
// (ZeroHash: only if it does not exist yet).
func (r *Repo) SetBranch(branch string, new, old Hash) error {
	return r.SetRef(plumbing.NewBranchReferenceName(branch).String(), new, old)
}

// SetRef moves any ref (a full name like refs/tufgit/published) from old
// to new, only if it still points at old (ZeroHash: does not exist yet).
func (r *Repo) SetRef(name string, new, old Hash) error {
	if cur, err := r.ResolveRef(name); err != nil {
		return err
	} else if cur != old {
		return fmt.Errorf("%s: %w", name, ErrRefMoved)
	}
	rn := plumbing.ReferenceName(name)
	var oldRef *plumbing.Reference
	if old != ZeroHash {
		oldRef = plumbing.NewHashReference(rn, plumbing.Hash(old))
	}
	if err := r.r.Storer.(storer.ReferenceStorer).CheckAndSetReference(plumbing.NewHashReference(rn, plumbing.Hash(new)), oldRef); err != nil {
		return fmt.Errorf("%s: %w (%v)", name, ErrRefMoved, err)
	}
	return nil
}

// ResolveRef returns what a full ref name points at, or ZeroHash.
func (r *Repo) ResolveRef(name string) (Hash, error) {
	ref, err := r.r.Reference(plumbing.ReferenceName(name), true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return ZeroHash, nil
	}
	if err != nil {
		return ZeroHash, err
	}
	return Hash(ref.Hash()), nil
}
