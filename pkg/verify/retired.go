package verify

import (
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
)

// A removed project leaves its last role metadata under metadata/retired/:
// no index role delegates it, so no client reads it, but it still names the
// artifacts the project published (which stay, append-only) and the
// version its role reached (which the publisher keeps in snapshot, since
// clients refuse a snapshot that drops a role it listed before).

// checkRetired checks a retired role file in a full check: it parses, it
// is the first record of its name or follows the one before (NAME.N.json
// needs NAME.(N-1)), and its targets' artifacts count as referenced.
func (c *checker) checkRetired(e layout.Entry) {
	p := layout.RetiredGenerationPath(e.Project, e.Generation)
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
	if e.Generation > 1 {
		prev := layout.RetiredGenerationPath(e.Project, e.Generation-1)
		if ok, _ := c.tree.Exists(prev); !ok {
			c.rep.add(p, e.Project, CodeMissing, "records removal %d of %s, but %s, the record of removal %d, is missing (retired records of a name are numbered without gaps)",
				e.Generation, e.Project, prev, e.Generation-1)
		}
	}
	for _, tf := range m.Signed.Targets {
		if tf == nil {
			continue
		}
		if h, ok := tf.Hashes["sha256"]; ok && len(h) == 32 {
			c.referenced[[32]byte(h)] = true
		}
	}
	// A name created again: its role keeps the retired releases of
	// every removal.
	if _, ok := c.list.lookupRole(e.Project); ok {
		if r, err := c.view.Role(e.Project); err == nil {
			c.checkRetiredVersion(layout.RolePath(e.Project), e.Project, r.Meta.Signed.Version, []*metadata.Metadata[metadata.TargetsType]{m})
			for _, msg := range RetiredConflicts(m.Signed.Targets, r.Meta.Signed.Targets) {
				c.rep.add(layout.RolePath(e.Project), e.Project, CodeImmutable, "%s", msg)
			}
		}
	}
}

// checkRetiredTransition: a retired role file appears only in the change
// that removes the project's role, holding the role's last metadata, and
// never changes or goes afterwards. Between two commits that are one
// push or one publish apart, the name may also have been created again
// (its role is in place once more), and the role may have gained releases
// before it was removed: then the retired file must still keep every
// target the role held before, byte for byte, at a version no lower.
//
// A name removed again keeps each removal's record: the N-th removal adds
// NAME.N.json, and only when NAME.(N-1) was there before the change (one
// removal of a name per change; a span with two is pushed or published
// one commit at a time).
func (t *transition) checkRetiredTransition(ch gitstore.Change, le layout.Entry) {
	c := t.c
	if ch.Action != gitstore.Added {
		c.rep.add(ch.Path, le.Project, CodeImmutable, "a retired project role is kept as it is: it was %s (each removal of a name adds its own record: %s, then %s, …)",
			ch.Action, layout.RetiredRolePath(le.Project), layout.RetiredGenerationPath(le.Project, 2))
		return
	}
	t.retiredAdded[le.Project] = true
	if le.Generation > 1 {
		prev := layout.RetiredGenerationPath(le.Project, le.Generation-1)
		if ok, _ := t.oldTree.Exists(prev); !ok {
			if ok, _ := c.tree.Exists(prev); ok {
				c.rep.add(ch.Path, le.Project, CodeRequest, "records removal %d of %s, but removal %d (%s) is in the same change; push or publish one removal of a name at a time (tufgit publish REV)",
					le.Generation, le.Project, le.Generation-1, prev)
			} else {
				c.rep.add(ch.Path, le.Project, CodeMissing, "records removal %d of %s, but %s, the record of removal %d, is missing (retired records of a name are numbered without gaps)",
					le.Generation, le.Project, prev, le.Generation-1)
			}
			return
		}
	}
	active := layout.RolePath(le.Project)
	old, err := t.oldTree.Lookup(active)
	if err != nil {
		c.rep.add(ch.Path, le.Project, CodeRequest, "retires %s, which has no role metadata to retire", le.Project)
		return
	}
	if ok, _ := c.tree.Exists(active); ok {
		// In place again: only a re-creation within this change, which
		// rewrites the delegator (admin-signed) and continues the
		// versions, may keep it.
		_, parent, derr := c.view.Delegation(le.Project)
		nr, nerr := c.view.Role(le.Project)
		or, oerr := t.oldView.Role(le.Project)
		if derr != nil || nerr != nil || oerr != nil || t.roles[parent] == 0 || nr.Meta.Signed.Version <= or.Meta.Signed.Version ||
			old.Hash == ch.New.Hash && t.roles[le.Project] == 0 {
			c.rep.add(ch.Path, le.Project, CodeRequest, "retires %s, but its role metadata is still in place", le.Project)
			return
		}
	} else if old.Hash == ch.New.Hash {
		return
	}
	or, oerr := t.oldView.Role(le.Project)
	retired, rerr := readRetired(c.tree, ch.Path)
	if oerr != nil || rerr != nil || retired == nil {
		c.rep.add(ch.Path, le.Project, CodeImmutable, "a retired role must be the project's last metadata, byte for byte")
		return
	}
	// Not the old bytes: it must at least be the project's own signed
	// metadata, under the delegation it had before this change (a span
	// that also changed its maintainers is published one step at a time).
	if d, _, err := t.oldView.Delegation(le.Project); err != nil || !trust.Check(d, retired, retired.Signatures).Met {
		c.rep.add(ch.Path, le.Project, CodeSignature, "a retired role must be the project's last metadata, signed by its maintainers; this one does not meet the threshold of %s's delegation before the change", le.Project)
	}
	if retired.Signed.Version < or.Meta.Signed.Version {
		c.rep.add(ch.Path, le.Project, CodeImmutable, "a retired role must be the project's last metadata: it is version %d, but the role was at version %d already",
			retired.Signed.Version, or.Meta.Signed.Version)
	}
	for _, p := range slices.Sorted(maps.Keys(or.Meta.Signed.Targets)) {
		o := or.Meta.Signed.Targets[p]
		n, ok := retired.Signed.Targets[p]
		if o == nil || (ok && n != nil && n.Length == o.Length && n.Hashes.Equal(o.Hashes)) {
			continue
		}
		c.rep.add(ch.Path, le.Project, CodeImmutable, "a retired role must keep the project's releases on record, but it does not list %s as published", p)
	}
}

// A removed name keeps its history: the releases its retired role lists
// stay the name's for good. A project created again under the name (new
// maintainers, new keys) may list a path the retired role lists only with
// the same length and hashes, and may add no other file to a version the
// retired role lists (compared by layout.CanonicalVersion, so v1.0.0 is
// 1.0.0): a returning client that saw 1.0.0 of the old project must never
// be handed other bytes, or another file, as 1.0.0.

// RetiredGenerations reads every retired record of name from tree, oldest
// first: NAME.json, then NAME.2.json, … up to the first one missing (one
// read per removal of the name); nil when the name was never removed. An
// unreadable retired file is an error (a full check reports it as such).
func RetiredGenerations(tree TreeReader, name string) ([]*metadata.Metadata[metadata.TargetsType], error) {
	var out []*metadata.Metadata[metadata.TargetsType]
	for gen := 1; gen <= layout.MaxRetiredGenerations; gen++ {
		m, err := readRetired(tree, layout.RetiredGenerationPath(name, gen))
		if err != nil {
			return nil, err
		}
		if m == nil {
			break
		}
		out = append(out, m)
	}
	return out, nil
}

// NextRetiredPath is where the next removal of name is recorded: the
// first free generation's file.
func NextRetiredPath(tree TreeReader, name string) (string, error) {
	for gen := 1; gen <= layout.MaxRetiredGenerations; gen++ {
		p := layout.RetiredGenerationPath(name, gen)
		ok, err := tree.Exists(p)
		if err != nil {
			return "", err
		}
		if !ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s was removed %d times already, the most a name can be", name, layout.MaxRetiredGenerations)
}

func readRetired(tree TreeReader, p string) (*metadata.Metadata[metadata.TargetsType], error) {
	raw, err := tree.ReadFile(p, layout.MaxTargetsSize)
	if errors.Is(err, gitstore.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := state.ParseTargets(p, raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, unwrapParse(err))
	}
	return m, nil
}

// RetiredRole reads name's latest retired role from tree: the last
// metadata of the project the name held before its latest removal; nil
// when the name was never removed.
func RetiredRole(tree TreeReader, name string) (*metadata.Metadata[metadata.TargetsType], error) {
	gens, err := RetiredGenerations(tree, name)
	if err != nil || len(gens) == 0 {
		return nil, err
	}
	return gens[len(gens)-1], nil
}

// RetiredTargets is the targets of every retired role of name
// (RetiredGenerations), the earliest record of a path first; nil when the
// name was never removed.
func RetiredTargets(tree TreeReader, name string) (map[string]*metadata.TargetFiles, error) {
	gens, err := RetiredGenerations(tree, name)
	if len(gens) == 0 || err != nil {
		return nil, err
	}
	out := map[string]*metadata.TargetFiles{}
	for _, m := range gens {
		for p, tf := range m.Signed.Targets {
			if _, ok := out[p]; !ok && tf != nil {
				out[p] = tf
			}
		}
	}
	return out, nil
}

// RetiredConflicts lists, one message per target path in sorted order,
// each target of a project role (as signed or proposed) that the name's
// retired releases forbid: other bytes under a path the retired role
// lists, or a new file in a version it lists. Identical targets are
// allowed: re-listing the very bytes the name published changes nothing
// a client could see.
func RetiredConflicts(retired, targets map[string]*metadata.TargetFiles) []string {
	if len(retired) == 0 {
		return nil
	}
	versions := map[string]string{} // canonical version -> as published
	for p := range retired {
		if _, v, _, err := layout.ParseTargetPath(p); err == nil {
			versions[layout.CanonicalVersion(v)] = v
		}
	}
	var out []string
	for _, p := range slices.Sorted(maps.Keys(targets)) {
		n := targets[p]
		if n == nil {
			continue
		}
		if o, ok := retired[p]; ok && o != nil {
			if n.Length != o.Length || !n.Hashes.Equal(o.Hashes) {
				out = append(out, fmt.Sprintf("target %s was published under this name before it was removed (%d bytes, sha256 %s…) and keeps those bytes for good; publish a new version",
					p, o.Length, shortHash(o.Hashes["sha256"])))
			}
			continue
		}
		if _, v, _, err := layout.ParseTargetPath(p); err == nil {
			if was, ok := versions[layout.CanonicalVersion(v)]; ok {
				out = append(out, fmt.Sprintf("target %s adds a file to version %s, which this name published before it was removed; that version stays reserved: publish a new version", p, was))
			}
		}
	}
	return out
}

func shortHash(b []byte) string {
	s := hex.EncodeToString(b)
	if len(s) > 12 {
		s = s[:12]
	}
	return s
}

// checkRetiredVersion reports a project role version that does not
// exceed every retired version of its name.
func (c *checker) checkRetiredVersion(path, name string, v int64, gens []*metadata.Metadata[metadata.TargetsType]) {
	var top int64
	for _, m := range gens {
		top = max(top, m.Signed.Version)
	}
	if len(gens) > 0 && v <= top {
		c.rep.add(path, name, CodeVersion, "is version %d, but the name's retired role reached version %d: a project created again continues its versions (clients remember the highest they saw)",
			v, top)
	}
}

// checkRetiredReleases reports a project role (read from view, at path,
// signed or proposed) that conflicts with the name's retired releases, of
// every removal.
func (c *checker) checkRetiredReleases(tree TreeReader, view *state.View, path, name string) {
	gens, err := RetiredGenerations(tree, name)
	if err != nil {
		c.rep.add(layout.RetiredRolePath(name), name, CodeFormat, "%v", err)
		return
	}
	if len(gens) == 0 {
		return
	}
	r, err := view.Role(name)
	if err != nil {
		return // missing or reported elsewhere
	}
	c.checkRetiredVersion(path, name, r.Meta.Signed.Version, gens)
	// Each removal's releases stay reserved: one message per path, from
	// the earliest removal that lists it.
	seen := map[string]bool{}
	for _, m := range gens {
		for _, msg := range RetiredConflicts(m.Signed.Targets, r.Meta.Signed.Targets) {
			if !seen[msg] {
				seen[msg] = true
				c.rep.add(path, name, CodeImmutable, "%s", msg)
			}
		}
	}
}
