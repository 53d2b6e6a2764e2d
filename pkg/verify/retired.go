package verify

import (
	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
)

// A removed project leaves its last role metadata under metadata/retired/:
// no index role delegates it, so no client reads it, but it still names the
// artifacts the project published (which stay, append-only) and the
// version its role reached (which the publisher keeps in snapshot, since
// clients refuse a snapshot that drops a role it listed before).

// checkRetired checks a retired role file in a full check: it parses, and
// its targets' artifacts count as referenced.
func (c *checker) checkRetired(e layout.Entry) {
	p := layout.RetiredRolePath(e.Project)
	raw, err := c.tree.ReadFile(p, layout.MaxTargetsSize)
	if err != nil {
		c.rep.add(p, e.Project, CodeFormat, "%v", err)
		return
	}
	m, err := state.ParseTargets(p, raw)
	if err != nil {
		c.rep.add(p, e.Project, CodeFormat, "%v", unwrapParse(err))
		return
	}
	for _, tf := range m.Signed.Targets {
		if tf == nil {
			continue
		}
		if h, ok := tf.Hashes["sha256"]; ok && len(h) == 32 {
			c.referenced[[32]byte(h)] = true
		}
	}
}

// checkRetiredTransition: a retired role file appears only in the change
// that removes the project's role, holding exactly the role's last
// metadata, and never changes or goes afterwards.
func (t *transition) checkRetiredTransition(ch gitstore.Change, le layout.Entry) {
	c := t.c
	if ch.Action != gitstore.Added {
		c.rep.add(ch.Path, le.Project, CodeImmutable, "a retired project role is kept as it is: it was %s", ch.Action)
		return
	}
	active := layout.RolePath(le.Project)
	old, err := t.oldTree.Lookup(active)
	if err != nil {
		c.rep.add(ch.Path, le.Project, CodeRequest, "retires %s, which has no role metadata to retire", le.Project)
		return
	}
	if ok, _ := c.tree.Exists(active); ok {
		c.rep.add(ch.Path, le.Project, CodeRequest, "retires %s, but its role metadata is still in place", le.Project)
		return
	}
	if old.Hash != ch.New.Hash {
		c.rep.add(ch.Path, le.Project, CodeImmutable, "a retired role must be the project's last metadata, byte for byte")
	}
}
