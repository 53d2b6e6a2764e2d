package client_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"github.com/tufgit/tufgit/pkg/client"
)

// newTUFClient is a fresh client of r.
func newTUFClient(t testing.TB, r *tufRepo) *client.Client {
	t.Helper()
	c, err := client.New(filepath.Join(t.TempDir(), "client"), client.Config{MetadataURL: r.url + "/metadata", TargetsURL: r.url + "/targets"}, r.rootRaw)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func lookup(t *testing.T, c *client.Client, p string) ([]string, string, bool) {
	t.Helper()
	v, found, trunc, err := client.LookupForTest(c, p)
	if err != nil {
		t.Fatalf("lookup %s: %v", p, err)
	}
	return v, found, trunc
}

// TUF 5.6.7: pre-order depth first, children in the order listed, only
// children whose paths match; the first role in that order that lists the
// target wins.
func TestWalkOrder(t *testing.T) {
	r := newTUFRepo(t, true)
	r.delegate("targets", "A", []string{"*"}, false)
	r.delegate("targets", "B", []string{"*"}, false)
	r.delegate("A", "C", []string{"*"}, false)
	r.delegate("A", "D", []string{"*"}, false)
	r.delegate("A", "E", []string{"other/*"}, false)
	r.addTarget("D", "f", []byte("from D"))
	r.addTarget("B", "f", []byte("from B"))
	r.addTarget("B", "g", []byte("from B"))
	r.publish()
	c := newTUFClient(t, r)
	if v, found, _ := lookup(t, c, "nothing"); !slices.Equal(v, []string{"targets", "A", "C", "D", "B"}) || found != "" {
		t.Fatalf("walk for a missing target: %v, found %q; want targets A C D B (E does not match)", v, found)
	}
	if v, found, _ := lookup(t, c, "f"); found != "D" || !slices.Equal(v, []string{"targets", "A", "C", "D"}) {
		t.Fatalf("f: found in %q after %v, want D after targets A C D", found, v)
	}
	if _, found, _ := lookup(t, c, "g"); found != "B" {
		t.Fatalf("g: found in %q, want B", found)
	}
	tf, err := c.Target("f")
	if err != nil || tf.Length != int64(len("from D")) {
		t.Fatalf("Target(f): %+v, %v", tf, err)
	}
	if _, err := c.Target("nothing"); !errors.Is(err, client.ErrTargetNotFound) {
		t.Fatalf("Target(nothing): %v, want ErrTargetNotFound", err)
	}
}

// A terminating delegation that matches ends the search below it: roles
// after it (siblings, and those left from above) are not asked.
func TestWalkTerminating(t *testing.T) {
	r := newTUFRepo(t, false)
	every := []string{"*", "*/*"} // '*' matches within one path segment
	r.delegate("targets", "A", every, false)
	r.delegate("targets", "Z", every, false)
	r.delegate("A", "T", []string{"x/*"}, true)
	r.delegate("A", "S", every, false)
	r.addTarget("S", "x/f", []byte("sibling of T"))
	r.addTarget("Z", "x/f", []byte("after A"))
	r.addTarget("S", "y", []byte("not under T"))
	r.publish()
	c := newTUFClient(t, r)
	if v, found, _ := lookup(t, c, "x/f"); found != "" || !slices.Equal(v, []string{"targets", "A", "T"}) {
		t.Fatalf("x/f under terminating T: found %q after %v, want nothing after targets A T", found, v)
	}
	if v, found, _ := lookup(t, c, "y"); found != "S" || !slices.Equal(v, []string{"targets", "A", "S"}) {
		t.Fatalf("y (T's paths do not match): found %q after %v, want S after targets A S", found, v)
	}
	// Positive control: the same tree without the terminating flag finds x/f in S.
	r.roles["A"].Signed.Delegations.Roles[0].Terminating = false
	r.publish()
	c = newTUFClient(t, r)
	if _, found, _ := lookup(t, c, "x/f"); found != "S" {
		t.Fatalf("x/f, T not terminating: found %q, want S", found)
	}
}

// Delegation cycles end: each role is visited once.
func TestWalkCycle(t *testing.T) {
	r := newTUFRepo(t, true)
	r.delegate("targets", "A", []string{"*"}, false)
	r.delegate("A", "B", []string{"*"}, false)
	r.delegate("B", "A", []string{"*"}, false)
	r.delegate("B", "targets", []string{"*"}, false, "targets")
	r.delegate("B", "C", []string{"*"}, false)
	r.addTarget("C", "f", []byte("in C"))
	r.publish()
	c := newTUFClient(t, r)
	if v, found, _ := lookup(t, c, "nothing"); !slices.Equal(v, []string{"targets", "A", "B", "C"}) || found != "" {
		t.Fatalf("walk through a cycle: %v, want targets A B C", v)
	}
	if _, found, _ := lookup(t, c, "f"); found != "C" {
		t.Fatalf("f behind a cycle: found %q, want C", found)
	}
}

// At most MaxDelegations roles (targets included) are visited.
func TestWalkLimit(t *testing.T) {
	r := newTUFRepo(t, false)
	parent := "targets"
	for i := 1; i <= client.MaxDelegations+3; i++ {
		name := fmt.Sprintf("r%02d", i)
		r.delegate(parent, name, []string{"*"}, false)
		r.addTarget(name, name, []byte(name))
		parent = name
	}
	r.publish()
	c := newTUFClient(t, r)
	last := fmt.Sprintf("r%02d", client.MaxDelegations-1) // the 32nd role visited
	if v, found, trunc := lookup(t, c, last); found != last || len(v) != client.MaxDelegations || trunc {
		t.Fatalf("%s: found %q after %d roles (truncated %v)", last, found, len(v), trunc)
	}
	beyond := fmt.Sprintf("r%02d", client.MaxDelegations)
	if v, found, trunc := lookup(t, c, beyond); found != "" || len(v) != client.MaxDelegations || !trunc {
		t.Fatalf("%s (the 33rd role): found %q after %d roles (truncated %v), want nothing after %d", beyond, found, len(v), trunc, client.MaxDelegations)
	}
	if _, err := c.Target(beyond); !errors.Is(err, client.ErrTargetNotFound) {
		t.Fatalf("Target(%s): %v, want ErrTargetNotFound", beyond, err)
	}
}

// cachedRoleRepo: role X is delegated by A (to key xa, for a/*) and by B
// (to key xb, for b/*), and signed by xa only, listing a/f and b/f.
func cachedRoleRepo(t *testing.T, xSigners ...string) *tufRepo {
	r := newTUFRepo(t, true)
	r.delegate("targets", "A", []string{"a/*"}, false)
	r.delegate("targets", "B", []string{"b/*"}, false)
	r.delegate("A", "X", []string{"a/*"}, false, "xa")
	r.delegate("B", "X", []string{"b/*"}, false, "xb")
	r.addTarget("X", "a/f", []byte("a"))
	r.addTarget("X", "b/f", []byte("b: B never trusted xa"))
	r.signers["X"] = xSigners
	r.publish()
	return r
}

// A delegated role already loaded through one delegator is checked again
// against the delegator of the current lookup (the TUF conformance suite's
// test_cached_role_is_verified_against_current_delegator).
func TestCachedRoleIsVerifiedAgainstCurrentDelegator(t *testing.T) {
	r := cachedRoleRepo(t, "xa")
	c := newTUFClient(t, r)
	if _, err := c.Target("a/f"); err != nil {
		t.Fatalf("a/f through A: %v", err)
	}
	_, err := c.Target("b/f")
	var te *client.TUFError
	if !errors.As(err, &te) || te.Cause != client.CauseSignature {
		t.Fatalf("b/f through B, X cached from A and signed only by A's key: %v, want a signature refusal", err)
	}
	if _, err := c.DownloadTarget("b/f", filepath.Join(t.TempDir(), "f")); !errors.As(err, &te) || te.Cause != client.CauseSignature {
		t.Fatalf("download b/f: %v, want a signature refusal", err)
	}
	// The same refusal without the cache (a fresh client), and from the
	// local copy (a returning client).
	if _, err := newTUFClient(t, r).Target("b/f"); !errors.As(err, &te) || te.Cause != client.CauseSignature {
		t.Fatalf("fresh client, b/f: %v, want a signature refusal", err)
	}
	// The scenario is real: go-tuf's updater trusts the cached role.
	cfg, err := config.New(r.url+"/metadata", r.rootRaw)
	if err != nil {
		t.Fatal(err)
	}
	cfg.LocalMetadataDir, cfg.LocalTargetsDir = t.TempDir(), t.TempDir()
	up, err := updater.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := up.Refresh(); err != nil {
		t.Fatal(err)
	}
	if _, err := up.GetTargetInfo("a/f"); err != nil {
		t.Fatal(err)
	}
	if _, err := up.GetTargetInfo("b/f"); err != nil {
		t.Logf("go-tuf now refuses b/f too: %v", err)
	} else {
		t.Logf("go-tuf's updater accepts b/f through B (the case this client refuses)")
	}

	// Positive control: X signed by both keys is trusted through both.
	r2 := cachedRoleRepo(t, "xa", "xb")
	c2 := newTUFClient(t, r2)
	for _, p := range []string{"a/f", "b/f", "a/f"} {
		if _, err := c2.Target(p); err != nil {
			t.Fatalf("%s, X signed by both delegations' keys: %v", p, err)
		}
	}
}

// Two roles delegate the project role hello with different paths: the
// delegation that counts is the one the walk reaches hello through (A,
// listed first), every time, not whichever a map iteration meets first.
func TestReleasesDelegationDeterministic(t *testing.T) {
	r := newTUFRepo(t, true)
	r.delegate("targets", "A", []string{"hello/*/*"}, false)
	r.delegate("targets", "B", []string{"hello/*/*"}, false)
	r.delegate("A", "hello", []string{"hello/0/*", "hello/1.0.0/*"}, false, "hello")
	r.delegate("B", "hello", []string{"hello/*/*"}, false, "hello")
	r.addTarget("hello", "hello/1.0.0/hello-1.0.0.tar.gz", []byte("one"))
	r.addTarget("hello", "hello/2.0.0/hello-2.0.0.tar.gz", []byte("two"))
	r.publish()
	for i := 0; i < 20; i++ {
		rels, err := newTUFClient(t, r).Releases("hello")
		if err != nil {
			t.Fatal(err)
		}
		if len(rels) != 1 || rels[0].Version != "1.0.0" {
			t.Fatalf("run %d: releases %+v, want only 1.0.0 (A's delegation)", i, rels)
		}
	}
	// Positive control: with B first, B's delegation gives both.
	d := r.roles["targets"].Signed.Delegations
	d.Roles[0], d.Roles[1] = d.Roles[1], d.Roles[0]
	r.publish()
	rels, err := newTUFClient(t, r).Releases("hello")
	if err != nil || len(rels) != 2 {
		t.Fatalf("B first: %+v, %v, want 1.0.0 and 2.0.0", rels, err)
	}
}

// A delegation to a top-level role's name is refused when the walk
// reaches it, not loaded as that role's file.
func TestWalkTopLevelNameRefused(t *testing.T) {
	r := newTUFRepo(t, true)
	r.delegate("targets", "A", []string{"*"}, false)
	r.addTarget("A", "y", []byte("y"))
	d := r.roles["targets"].Signed.Delegations
	d.Roles = append([]metadata.DelegatedRole{{Name: "timestamp", KeyIDs: d.Roles[0].KeyIDs, Threshold: 1, Paths: []string{"x"}}}, d.Roles...)
	r.publish()
	c := newTUFClient(t, r)
	if _, err := c.Target("x"); err == nil || !strings.Contains(err.Error(), `"timestamp", a top-level role's name`) {
		t.Fatalf("x, delegated to \"timestamp\": %v", err)
	}
	if _, err := c.Target("y"); err != nil {
		t.Fatalf("y: %v", err)
	}
}

// A role that delegates one name twice is refused (the second delegation
// would be checked against the first one's keys).
func TestWalkDuplicateDelegationRefused(t *testing.T) {
	r := newTUFRepo(t, true)
	r.delegate("targets", "A", []string{"*", "*/*"}, false)
	r.delegate("A", "X", []string{"a/*"}, false, "xa")
	r.delegate("A", "Y", []string{"b/*"}, false, "xb")
	r.addTarget("X", "b/f", []byte("signed by xa only"))
	r.signers["X"], r.signers["Y"] = []string{"xa"}, []string{"xb"}
	r.publish()
	if _, err := newTUFClient(t, r).Target("b/f"); !errors.Is(err, client.ErrTargetNotFound) {
		t.Fatalf("positive control, Y delegated b/*: %v", err)
	}
	r.roles["A"].Signed.Delegations.Roles[1].Name = "X"
	r.publish()
	if _, err := newTUFClient(t, r).Target("b/f"); err == nil || !strings.Contains(err.Error(), "role A delegates X more than once") {
		t.Fatalf("A delegates X twice: %v", err)
	}
}
