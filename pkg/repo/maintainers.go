package repo

import (
	"errors"
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
	// Label signs Label as the owner label of the maintainer key Remove
	// names, in the key object of the index role (an admin-signed change
	// of the index role alone: how labels only the unsigned config holds
	// become signed).
	Label string
	Key   *keys.Key
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
			m.Signed.Delegations.Keys[nm.Key.ID] = labelled(nm.Key.Public, nm.Name)
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
		// The new key takes the label given, or the old key's label: a
		// label the new key's delegator signs once the admins sign this,
		// and shown as this request's word until then.
		label := o.Rotate.Name
		if label == "" {
			label = labels[id].Label
		}
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
		m.Signed.Delegations.Keys[o.Rotate.Key.ID] = labelled(o.Rotate.Key.Public, label)
		if !containsMaintainer(pc.Maintainers, o.Rotate.Key.ID) {
			pc.Maintainers = append(pc.Maintainers, layout.Maintainer{KeyID: o.Rotate.Key.ID, Name: label})
		}
		kind, subject = KindMaintainerRotate, fmt.Sprintf("%s: rotate maintainer key %s to %s", name, labels.Name(id), trust.Short(o.Rotate.Key.ID))
	case o.Add != nil:
		if slices.Contains(ids, o.Add.Key.ID) {
			return nil, fmt.Errorf("%w: %s is already a maintainer of %s", ErrNothingToDo, labels.Name(o.Add.Key.ID), name)
		}
		ids = append(ids, o.Add.Key.ID)
		m.Signed.Delegations.Keys[o.Add.Key.ID] = labelled(o.Add.Key.Public, o.Add.Name)
		pc.Maintainers = append(pc.Maintainers, layout.Maintainer{KeyID: o.Add.Key.ID, Name: o.Add.Name})
		kind, subject = layout.KindMaintainerAdd, fmt.Sprintf("%s: add maintainer %s", name, o.Add.Name)
	case o.Label != "":
		id, err := s.resolveMaintainer(o.Remove, ids, labels, name)
		if err != nil {
			return nil, err
		}
		if err := trust.CheckOwnerLabel(o.Label); err != nil {
			return nil, fmt.Errorf("label %q %v", o.Label, err)
		}
		if l := labels[id]; l.Signed && l.Label == o.Label {
			return nil, fmt.Errorf("%w: key %s of %s is signed as %q already", ErrNothingToDo, trust.Short(id), name, o.Label)
		}
		m.Signed.Delegations.Keys[id] = labelled(m.Signed.Delegations.Keys[id], o.Label)
		found := false
		for i, mt := range pc.Maintainers {
			if mt.KeyID == id {
				pc.Maintainers[i].Name, found = o.Label, true
			}
		}
		if !found {
			pc.Maintainers = append(pc.Maintainers, layout.Maintainer{KeyID: id, Name: o.Label})
		}
		kind, subject = KindMaintainerLabel, fmt.Sprintf("%s: sign label %q for maintainer key %s", name, o.Label, trust.Short(id))
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
	if kind == KindMaintainerLabel {
		// Only the index role changes: its admins sign the label.
		ch := &Change{Kind: kind, Project: name, Subject: subject, Roles: roles, ProjectConfig: pc}
		return s.Submit(ch, o.Key, o.SubmitOptions)
	}
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
	KindMaintainerLabel   = "maintainer-label"
)

// labelled is a copy of k whose key object carries label as its signed
// owner (trust.KeyOwnerField); an empty label leaves k as it is.
func labelled(k *metadata.Key, label string) *metadata.Key {
	if label == "" || trust.CheckOwnerLabel(label) != nil {
		return k
	}
	return trust.WithOwner(k, label)
}

func containsMaintainer(ms []layout.Maintainer, id string) bool {
	for _, m := range ms {
		if m.KeyID == id {
			return true
		}
	}
	return false
}

// resolveMaintainer finds a maintainer by keyid (or a unique prefix of at
// least 8 hex digits), signed label, or public key file. A label only the
// unsigned project config gives never selects a key: anyone who can push
// can move it to another key.
func (s *Session) resolveMaintainer(ref string, ids []string, labels Labels, project string) (string, error) {
	var match []string
	unsigned := false
	for _, id := range ids {
		l := labels[id]
		switch {
		case id == ref || (len(ref) >= 8 && len(ref) < len(id) && id[:len(ref)] == ref) || (l.Signed && l.Label == ref):
			match = append(match, id)
		case l.Label == ref:
			unsigned = true
		}
	}
	if len(match) == 0 {
		if k, err := keys.Load(s.context(), ref, nil); err == nil && slices.Contains(ids, k.ID) {
			return k.ID, nil
		}
		if unsigned {
			return "", fmt.Errorf("%w: %q is only an unsigned label of a maintainer of %s (in %s, which anyone who can push may change), so it selects no key; "+
				"name the key by the keyid its holder gives you (tufgit key show) or its .pub file; `tufgit project show %s` lists the keys",
				ErrUnsignedLabel, ref, project, layout.ProjectConfigPath(project), project)
		}
		return "", fmt.Errorf("%s is not a maintainer of %s (see `tufgit project show %s`)", ref, project, project)
	}
	if len(match) > 1 {
		return "", fmt.Errorf("%q matches %d maintainers of %s; give the full keyid", ref, len(match), project)
	}
	return match[0], nil
}

// ErrUnsignedLabel means a key was named by a label nobody signed.
var ErrUnsignedLabel = errors.New("unsigned label")

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
