package publish

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
)

// The publisher never signs history the hook did not see (issue #19).
// The hook lets a protected branch only move forward, so every head it
// accepted descends from the commit published before. A server that rolls
// main back, or rewrites it, hands the publisher a head that does not: it
// is refused, as is any snapshot that would lower a role's version or
// drop a role, which would give fresh clients a state older than the one
// returning clients trust. The way out of a genuine rewrite is signed by
// the root keys (layout.RewriteField), never a flag of the publisher.

// ErrRewritten: the head does not descend from the commit last
// published, or its snapshot would lower or drop a role.
var ErrRewritten = errors.New("refusing to publish a history that replaces what was published")

// checkLineage refuses a head that does not descend from the commit last
// published, unless the head's root (verified with the rest of the head
// before anything is signed) accepts exactly that rewrite. It sets
// p.rewriteBase when it does.
func (p *publisher) checkLineage(root *metadata.Metadata[metadata.RootType]) error {
	if p.prev == nil || p.prev.Commit == "" {
		return nil
	}
	last := gitstore.NewHash(p.prev.Commit)
	if last == p.Rev {
		return nil
	}
	if ok, err := p.Repo.IsAncestor(last, p.Rev); err == nil && ok {
		return nil
	}
	head, prev := p.Rev.String()[:12], p.prev.Commit
	stmt, err := layout.ParseRewrite(root.Signed.UnrecognizedFields)
	if err != nil {
		return fmt.Errorf("%w: %s does not descend from %s, the commit last published (%s), and its root's %v", ErrRewritten, head, prev[:12], StateRef, err)
	}
	if stmt == nil {
		if _, err := p.Repo.Commit(last); err != nil {
			return fmt.Errorf("%w: %s, the commit last published (%s), is not in this repository, so nothing shows that %s descends from it: fetch the whole history (a shallow clone: git fetch --unshallow), or the history was truncated", ErrRewritten, prev[:12], StateRef, head)
		}
		return fmt.Errorf("%w: %s does not descend from %s, the commit last published (%s): the branch was rolled back or rewritten, and no root signed by the admins accepts that", ErrRewritten, head, prev[:12], StateRef)
	}
	if stmt.Abandons != prev {
		return fmt.Errorf("%w: %s does not descend from %s, the commit last published (%s); its root accepts a rewrite of %s, not of %s", ErrRewritten, head, prev[:12], StateRef, stmt.Abandons[:12], prev[:12])
	}
	base := gitstore.NewHash(stmt.Base)
	if ok, err := p.Repo.IsAncestor(base, p.Rev); err != nil || !ok {
		return fmt.Errorf("%w: %s: root's %s names base %s, which is not an ancestor of it", ErrRewritten, head, layout.RewriteField, stmt.Base[:12])
	}
	if _, err := p.Repo.Commit(last); err == nil {
		// The published commit is still here: the new history must
		// restart from a commit of the published one.
		if ok, err := p.Repo.IsAncestor(base, last); err != nil || !ok {
			return fmt.Errorf("%w: %s: root's %s names base %s, which is not an ancestor of %s, the commit last published", ErrRewritten, head, layout.RewriteField, stmt.Base[:12], prev[:12])
		}
	}
	p.rewriteBase = base
	return nil
}

// checkNoRollback refuses a snapshot of u that lists a role at a lower
// version than the snapshot last published for u, or drops a role it
// listed (a removed project keeps its entry: unitMeta lists its retired
// role). Both are what TUF clients refuse, so a fresh client would take
// what a returning one refuses. It holds while the same online key signs:
// a new online key (root update) makes clients drop their trusted
// snapshot, TUF's recovery, and is the only way down.
//
// The baseline is the publisher's record, and also the snapshot the
// mirror serves when it is newer than the record and the current root's
// snapshot key signed it: a server that resets refs/tufgit/published to
// an older record (or deletes it) together with main does not lower the
// bar.
func (p *publisher) checkNoRollback(u *unit, meta map[string]int64, root *metadata.Metadata[metadata.RootType]) error {
	if err := p.noRollbackFrom(u, meta, p.recordBaseline(u)); err != nil {
		return err
	}
	return p.noRollbackFrom(u, meta, p.mirrorBaseline(u, root))
}

// recordBaseline is the snapshot the record holds for u, when the
// current online key signed it.
func (p *publisher) recordBaseline(u *unit) *metadata.Metadata[metadata.SnapshotType] {
	if u.prevSnap == nil || !signedBy(u.prevRaw, p.Key.ID()) {
		return nil
	}
	return u.prevSnap
}

// mirrorBaseline is the snapshot the mirror serves for u, when it is
// newer than the record's and verifies under the current root's snapshot
// keys; nil otherwise. Read only then, so a publish with its record
// intact reads nothing more.
func (p *publisher) mirrorBaseline(u *unit, root *metadata.Metadata[metadata.RootType]) *metadata.Metadata[metadata.SnapshotType] {
	_, v := p.mirrorVersions(u)
	if v <= 0 || (u.prevSnap != nil && v <= u.prevSnap.Signed.Version) {
		return nil
	}
	raw, err := p.Mirror.Read(p.ctx, u.snapshotName(v), 64<<20)
	if err != nil {
		return nil
	}
	m, err := metadata.Snapshot().FromBytes(raw)
	if err != nil || m.Signed.Version != v || root.VerifyDelegate(layout.RoleSnapshot, m) != nil {
		return nil
	}
	return m
}

func (p *publisher) noRollbackFrom(u *unit, meta map[string]int64, prev *metadata.Metadata[metadata.SnapshotType]) error {
	if prev == nil {
		return nil
	}
	var lowered, dropped []string
	for name, mf := range prev.Signed.Meta {
		v, ok := meta[name]
		switch {
		case !ok && !(u.top && p.cfg.Index.ShardBits > 0):
			// (The top level's drops, after a reshard, are
			// checkTopDrops' to explain.)
			dropped = append(dropped, strings.TrimSuffix(name, ".json"))
		case ok && v < mf.Version:
			lowered = append(lowered, fmt.Sprintf("%s v%d → v%d", strings.TrimSuffix(name, ".json"), mf.Version, v))
		}
	}
	if len(lowered) == 0 && len(dropped) == 0 {
		return nil
	}
	sort.Strings(lowered)
	sort.Strings(dropped)
	var what []string
	if len(lowered) > 0 {
		what = append(what, "lower "+firstFew(lowered))
	}
	if len(dropped) > 0 {
		what = append(what, "drop "+firstFew(dropped)+" without a signed removal")
	}
	return fmt.Errorf("%w: %s's snapshot would %s, against snapshot v%d published before; clients that saw it refuse that, and fresh ones would take the older roles (nothing written)",
		ErrRewritten, u.name(), strings.Join(what, " and "), prev.Signed.Version)
}

func firstFew(list []string) string {
	if len(list) > 3 {
		list = append(list[:3:3], fmt.Sprintf("and %d more", len(list)-3))
	}
	return strings.Join(list, ", ")
}
