package verify

import (
	"time"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
)

// CheckRoleInView runs the checks verify applies to one changed role (its
// format, signatures against its delegation, layout rules, its targets)
// on a view of a tree, without a commit: what fuzzing needs to run fast.
// It lives in the test binary only.
func CheckRoleInView(view *state.View, tree *gitstore.Tree, name string, now time.Time) *Report {
	c := &checker{tree: tree, view: view, now: now, rep: &Report{}, opts: Options{SkipArtifacts: true},
		reached: map[string]bool{}, referenced: map[[32]byte]bool{}, broken: map[string]bool{}}
	p := layout.RolePath(name)
	d, _, err := view.Delegation(name)
	if err != nil {
		c.rep.add(p, name, CodeOrphan, "%v", err)
		c.rep.finish()
		return c.rep
	}
	var admin *trust.Delegation
	if root, err := view.Root(); err == nil {
		admin, _ = trust.FromRoot(root, layout.RoleTargets)
	}
	c.checkRole(roleCheck{view: view, path: p, admin: admin, refs: map[string]*target{}}, name, d)
	c.rep.finish()
	return c.rep
}

// RequestChecker returns a function that runs the check verify applies to
// one pending request (checkRequest: its files, what it proposes, the
// signatures already on it, the renewal and root-renewal rules) reading the
// request from tree, as a full check of a commit would, without a commit
// and without the rest of the checks. base is the tree the requests are
// pending in and current its view; the repository config is read from base
// once. It lives in the test binary only.
func RequestChecker(repo *gitstore.Repo, base *gitstore.Tree, current *state.View, now time.Time) func(tree TreeReader, id string) *Report {
	cfg := &checker{tree: base, view: current, rep: &Report{}}
	cfg.loadConfig()
	return func(tree TreeReader, id string) *Report {
		c := &checker{repo: repo, tree: base, view: current, now: now, rep: &Report{}, opts: Options{SkipArtifacts: true}, cfg: cfg.cfg,
			reached: map[string]bool{}, referenced: map[[32]byte]bool{}, broken: map[string]bool{}}
		c.rep.Problems = append(c.rep.Problems, cfg.rep.Problems...)
		c.checkRequestIn(tree, id)
		c.rep.finish()
		return c.rep
	}
}
