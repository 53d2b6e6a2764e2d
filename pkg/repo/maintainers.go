package repo

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/trust"
)

// MaintainerChange describes a change to who maintains a project.
type MaintainerChange struct {
	Project string
	Add     *NewMaintainer // a key to add
	Remove  string         // a keyid to remove
	// Rotate replaces the maintainer Remove names by this key, in place.
	Rotate *NewMaintainer
	// Recover replaces every maintainer key (the maintainers lost theirs):
	// the one change the admins make without the current maintainers.
	Recover   []NewMaintainer
	Threshold int // a new threshold; 0 keeps it
	Key       *keys.Key
	SubmitOptions
}

// ChangeMaintainers adds or removes a maintainer key or changes the
// threshold. The keys of a project are listed in its index role, which the
// admins sign; the project role is re-signed in the same request, so the
// project's maintainers (under the new delegation) consent too. Either side
// may sign first.
func (s *Session) ChangeMaintainers(o MaintainerChange) (*Result, error) {
	name, d, idxName, m, err := s.editIndexOf(o.Project)
	if err != nil {
		return nil, err
	}
	ids := append([]string(nil), d.KeyIDs...)
	threshold := d.Threshold
	pc, err := s.ProjectConfig(name)
	if err != nil {
		pc = &layout.ProjectConfig{Type: layout.ProjectConfigType, FormatVersion: layout.FormatVersion, Name: name, Created: s.Now.UTC().Truncate(time.Second)}
	}
	labels := Labels{}
	s.ProjectLabels(name, labels)
	var kind, subject string
	switch {
	case len(o.Recover) > 0:
		ids = nil
		pc.Maintainers = nil
		var names []string
		for _, nm := range o.Recover {
			if slices.Contains(ids, nm.Key.ID) {
				return nil, fmt.Errorf("%w: %s", ErrDuplicateKey, nm.Key.Ref)
			}
			ids = append(ids, nm.Key.ID)
			m.Signed.Delegations.Keys[nm.Key.ID] = nm.Key.Public
			pc.Maintainers = append(pc.Maintainers, layout.Maintainer{KeyID: nm.Key.ID, Name: nm.Name})
			names = append(names, nm.Name)
		}
		if threshold > len(ids) || o.Threshold == 0 {
			threshold = min(threshold, len(ids))
		}
		kind, subject = KindMaintainerRecover, fmt.Sprintf("%s: RECOVERY, every maintainer key replaced by %s", name, strings.Join(names, ", "))
	case o.Rotate != nil:
		id, err := s.resolveMaintainer(o.Remove, ids, labels, name)
		if err != nil {
			return nil, err
		}
		if slices.Contains(ids, o.Rotate.Key.ID) {
			return nil, fmt.Errorf("%w: %s is already a maintainer of %s", ErrNothingToDo, labels.Name(o.Rotate.Key.ID), name)
		}
		for i := range ids {
			if ids[i] == id {
				ids[i] = o.Rotate.Key.ID
			}
		}
		m.Signed.Delegations.Keys[o.Rotate.Key.ID] = o.Rotate.Key.Public
		label := o.Rotate.Name
		for i, mt := range pc.Maintainers {
			if mt.KeyID == id {
				if label == "" {
					label = mt.Name
				}
				pc.Maintainers[i] = layout.Maintainer{KeyID: o.Rotate.Key.ID, Name: label}
			}
		}
		if label == "" {
			label = trust.Short(o.Rotate.Key.ID)
		}
		if !containsMaintainer(pc.Maintainers, o.Rotate.Key.ID) {
			pc.Maintainers = append(pc.Maintainers, layout.Maintainer{KeyID: o.Rotate.Key.ID, Name: label})
		}
		kind, subject = KindMaintainerRotate, fmt.Sprintf("%s: rotate maintainer key %s to %s", name, labels.Name(id), trust.Short(o.Rotate.Key.ID))
	case o.Add != nil:
		if slices.Contains(ids, o.Add.Key.ID) {
			return nil, fmt.Errorf("%w: %s is already a maintainer of %s", ErrNothingToDo, labels.Name(o.Add.Key.ID), name)
		}
		ids = append(ids, o.Add.Key.ID)
		m.Signed.Delegations.Keys[o.Add.Key.ID] = o.Add.Key.Public
		pc.Maintainers = append(pc.Maintainers, layout.Maintainer{KeyID: o.Add.Key.ID, Name: o.Add.Name})
		kind, subject = layout.KindMaintainerAdd, fmt.Sprintf("%s: add maintainer %s", name, o.Add.Name)
	case o.Remove != "":
		id, err := s.resolveMaintainer(o.Remove, ids, labels, name)
		if err != nil {
			return nil, err
		}
		if len(ids) == 1 {
			return nil, fmt.Errorf("%s is the only maintainer of %s; add another before removing it", labels.Name(id), name)
		}
		kept := ids[:0]
		for _, x := range ids {
			if x != id {
				kept = append(kept, x)
			}
		}
		ids = kept
		var keep []layout.Maintainer
		for _, mt := range pc.Maintainers {
			if mt.KeyID != id {
				keep = append(keep, mt)
			}
		}
		pc.Maintainers = keep
		if threshold > len(ids) {
			threshold = len(ids)
		}
		kind, subject = layout.KindMaintainerRemove, fmt.Sprintf("%s: remove maintainer %s", name, labels.Name(id))
	default:
		kind, subject = layout.KindThreshold, fmt.Sprintf("%s: threshold %d → %d", name, d.Threshold, o.Threshold)
	}
	if o.Threshold != 0 {
		threshold = o.Threshold
	}
	if threshold < 1 || threshold > len(ids) {
		return nil, fmt.Errorf("%w: %d is not between 1 and the number of maintainers (%d)", ErrBadThreshold, threshold, len(ids))
	}
	if kind == layout.KindThreshold && threshold == d.Threshold {
		return nil, fmt.Errorf("%w: the threshold of %s is %d already", ErrNothingToDo, name, threshold)
	}
	for i, r := range m.Signed.Delegations.Roles {
		if r.Name == name {
			m.Signed.Delegations.Roles[i].KeyIDs = ids
			m.Signed.Delegations.Roles[i].Threshold = threshold
		}
	}
	pruneKeys(m.Signed.Delegations)
	roles := map[string]*metadata.Metadata[metadata.TargetsType]{idxName: m}
	if pr, exists, err := s.projectRole(name); err != nil {
		return nil, err
	} else if exists {
		roles[name] = pr // re-signed by the maintainers, as consent
		if kind == KindMaintainerRecover {
			// The new maintainers sign the record of the recovery with the
			// role, so every reader of it can tell.
			if pr.Signed.UnrecognizedFields == nil {
				pr.Signed.UnrecognizedFields = map[string]any{}
			}
			pr.Signed.UnrecognizedFields[layout.RecoveryField] = layout.Recovery{At: s.Now.UTC().Truncate(time.Second), Replaced: d.KeyIDs}
		}
	}
	ch := &Change{Kind: kind, Project: name, Subject: subject, Roles: roles, ProjectConfig: pc}
	return s.Submit(ch, o.Key, o.SubmitOptions)
}

// editIndexOf looks a project up and returns a copy of the index role that
// delegates it, to edit.
func (s *Session) editIndexOf(project string) (name string, d *trust.Delegation, idxName string, m *metadata.Metadata[metadata.TargetsType], err error) {
	if name, d, idxName, err = s.lookupProject(project); err != nil {
		return "", nil, "", nil, err
	}
	idx, err := s.View.Role(idxName)
	if err != nil {
		return "", nil, "", nil, err
	}
	m, err = clone(idx.Meta)
	return name, d, idxName, m, err
}

// Request kinds of maintainer key changes.
const (
	KindMaintainerRotate  = "maintainer-rotate"
	KindMaintainerRecover = "maintainer-recover"
)

func containsMaintainer(ms []layout.Maintainer, id string) bool {
	for _, m := range ms {
		if m.KeyID == id {
			return true
		}
	}
	return false
}

// resolveMaintainer finds a maintainer by keyid (or a unique prefix of at
// least 8 hex digits), label, or public key file.
func (s *Session) resolveMaintainer(ref string, ids []string, labels Labels, project string) (string, error) {
	var match []string
	for _, id := range ids {
		if id == ref || (len(ref) >= 8 && len(ref) < len(id) && id[:len(ref)] == ref) || labels[id] == ref {
			match = append(match, id)
		}
	}
	if len(match) == 0 {
		if k, err := keys.Load(s.context(), ref, nil); err == nil && slices.Contains(ids, k.ID) {
			return k.ID, nil
		}
		return "", fmt.Errorf("%s is not a maintainer of %s (see `tufgit project show %s`)", ref, project, project)
	}
	if len(match) > 1 {
		return "", fmt.Errorf("%q matches %d maintainers of %s; give the full keyid", ref, len(match), project)
	}
	return match[0], nil
}

// pruneKeys drops keys no delegation uses any more.
func pruneKeys(d *metadata.Delegations) {
	used := map[string]bool{}
	for _, r := range d.Roles {
		for _, id := range r.KeyIDs {
			used[id] = true
		}
	}
	for id := range d.Keys {
		if !used[id] {
			delete(d.Keys, id)
		}
	}
}
