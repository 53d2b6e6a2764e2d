package client

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// MaxDelegations bounds how many roles one lookup visits, top-level
// targets included (TUF's, python-tuf's and go-tuf's default).
const MaxDelegations = 32

// ErrTargetNotFound is a target path that no role reached by the
// delegations lists.
var ErrTargetNotFound = errors.New("target not found")

// visit is one role a lookup loaded, and how it got there.
type visit struct {
	Role       string
	Parent     string                  // the delegator ("root" for targets)
	Delegation *metadata.DelegatedRole // Parent's delegation of Role (nil for targets)
}

// lookupResult is what a lookup found, and the roles it visited in order.
type lookupResult struct {
	Target    *metadata.TargetFiles // nil: not found
	Role      string                // the role that lists Target
	Visits    []visit
	Truncated bool // stopped at MaxDelegations with roles left to visit
}

// visited returns the visit of role, or nil.
func (r *lookupResult) visited(role string) *visit {
	for i := range r.Visits {
		if r.Visits[i].Role == role {
			return &r.Visits[i]
		}
	}
	return nil
}

// lookup finds targetPath by TUF's delegation walk (specification 5.6.7):
// pre-order depth first from top-level targets, children in the order
// their delegator lists them, only children whose paths match, a
// terminating delegation ending the search below it, each role visited at
// most once (cycles), at most MaxDelegations roles.
//
// Every role is checked against the delegator it is reached through on
// this lookup, also one already loaded by an earlier lookup through
// another delegator: go-tuf's and python-tuf's updaters trust such a role
// by its name alone, so that a delegator could borrow a role signed only
// by keys some other delegator trusts.
func (s *session) lookup(targetPath string) (*lookupResult, error) {
	type step struct {
		role, parent string
		deleg        *metadata.DelegatedRole
	}
	res := &lookupResult{}
	stack := []step{{role: metadata.TARGETS, parent: metadata.ROOT}}
	seen := map[string]bool{}
	for len(stack) > 0 {
		if len(res.Visits) >= MaxDelegations {
			res.Truncated = true
			break
		}
		st := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[st.role] {
			continue
		}
		seen[st.role] = true
		role, err := s.loadRole(st.role, st.parent)
		if err != nil {
			return res, err
		}
		res.Visits = append(res.Visits, visit{Role: st.role, Parent: st.parent, Delegation: st.deleg})
		if tf, ok := role.Signed.Targets[targetPath]; ok {
			res.Target, res.Role = tf, st.role
			return res, nil
		}
		d := role.Signed.Delegations
		if d == nil {
			continue
		}
		// go-tuf checks a delegated role against the first delegation of
		// its name: a second one, with other keys, would be checked
		// against the first one's keys. python-tuf refuses such metadata.
		names := map[string]bool{}
		for _, r := range d.Roles {
			if names[r.Name] {
				return res, &TUFError{Cause: CauseOther, Err: fmt.Errorf("role %s delegates %s more than once", st.role, r.Name)}
			}
			names[r.Name] = true
		}
		var children []step
		if d.SuccinctRoles != nil {
			// One bin role, and a succinct delegation is terminating.
			for _, r := range d.GetRolesForTarget(targetPath) {
				children = append(children, step{role: r.Name, parent: st.role, deleg: &metadata.DelegatedRole{Name: r.Name, KeyIDs: d.SuccinctRoles.KeyIDs, Threshold: d.SuccinctRoles.Threshold, Terminating: true}})
				stack = stack[:0]
			}
		}
		for i := range d.Roles {
			r := &d.Roles[i]
			if ok, err := r.IsDelegatedPath(targetPath); err != nil || !ok {
				continue
			}
			children = append(children, step{role: r.Name, parent: st.role, deleg: r})
			if r.Terminating {
				stack = stack[:0]
				break
			}
		}
		for i := len(children) - 1; i >= 0; i-- {
			stack = append(stack, children[i])
		}
	}
	return res, nil
}

// missingRoleError is a delegated role that snapshot does not list: it was
// delegated, but never published.
type missingRoleError struct{ role string }

func (e *missingRoleError) Error() string {
	return fmt.Sprintf("role %s not found in snapshot", e.role)
}

// loadRole returns role, verified against parent's delegation of it now:
// the trusted copy if parent's keys and threshold sign it, else the local
// copy, else the repository's (TUF specification 5.6), each checked
// against parent, snapshot's version and hashes, and expiry by go-tuf's
// trustedmetadata.
func (s *session) loadRole(role, parent string) (*metadata.Metadata[metadata.TargetsType], error) {
	tm := s.tm
	if role == metadata.TARGETS && parent == metadata.ROOT {
		t := tm.Targets[metadata.TARGETS]
		if t == nil {
			return nil, &TUFError{Cause: CauseOther, Err: errors.New("no trusted targets role")}
		}
		return t, nil
	}
	if role == metadata.TARGETS || role == metadata.ROOT || role == metadata.SNAPSHOT || role == metadata.TIMESTAMP {
		return nil, &TUFError{Cause: CauseOther, Err: fmt.Errorf("role %s delegates to %q, a top-level role's name", parent, role)}
	}
	if cached := tm.Targets[role]; cached != nil {
		if tm.Targets[parent].VerifyDelegate(role, cached) == nil {
			return cached, nil
		}
		// Loaded through another delegator whose keys differ: not
		// trusted through this one. Check it again below, as if new.
		delete(tm.Targets, role)
	}
	meta, ok := tm.Snapshot.Signed.Meta[role+".json"]
	if !ok {
		return nil, &missingRoleError{role: role}
	}
	local := filepath.Join(s.metaDir, url.PathEscape(role)+".json")
	if data, err := readBounded(local, MaxTargets); err == nil {
		var t *metadata.Metadata[metadata.TargetsType]
		if err := noPanic("role "+role, func() (err error) { t, err = tm.UpdateDelegatedTargets(data, role, parent); return err }); err == nil {
			return t, nil
		}
	}
	length := meta.Length
	if length == 0 || length > MaxTargets {
		length = MaxTargets
	}
	name := url.PathEscape(role) + ".json"
	if tm.Root.Signed.ConsistentSnapshot {
		name = strconv.FormatInt(meta.Version, 10) + "." + name
	}
	data, err := s.fetch.DownloadFile(s.metaURL+"/"+name, length, 0)
	if err != nil {
		return nil, Classify(err)
	}
	var t *metadata.Metadata[metadata.TargetsType]
	err = noPanic("role "+role, func() (err error) { t, err = tm.UpdateDelegatedTargets(data, role, parent); return err })
	if err != nil {
		return nil, Classify(fmt.Errorf("role %s (delegated by %s): %w", role, parent, err))
	}
	if err := writeAtomicFrom(local, false, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return nil, err
	}
	return t, nil
}

// readBounded reads a file of at most max bytes.
func readBounded(p string, max int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", p, max)
	}
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, err
	}
	return data, nil
}
