// Package publish turns a verified commit into a static TUF mirror: it
// signs snapshot and timestamp with the online key and writes every file
// with consistent-snapshot names, timestamp last. It is the only code that
// loads the online key, and that key can sign nothing but snapshot and
// timestamp metadata.
package publish

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
)

// ErrNotOnlineKey means the key given is not root's snapshot/timestamp key.
var ErrNotOnlineKey = errors.New("not the online key")

// OnlineKey is the snapshot/timestamp signer. Its only methods sign those
// two types; there is no way to make it sign any other role.
type OnlineKey struct {
	key *keys.Key
}

// LoadOnlineKey loads the online key (a key file or KMS URI). This is the
// one place tufgit creates the online signer.
func LoadOnlineKey(ctx context.Context, ref string, pass keys.Passphrase) (*OnlineKey, error) {
	k, err := keys.Load(ctx, ref, pass)
	if err != nil {
		return nil, err
	}
	if !k.CanSign() {
		return nil, fmt.Errorf("online key %s: a public key can not sign; give the private key file or KMS URI", ref)
	}
	return &OnlineKey{key: k}, nil
}

// ID is the key's TUF keyid.
func (o *OnlineKey) ID() string { return o.key.ID }

// check refuses a key that root does not list for both snapshot and
// timestamp, or that root lists for an offline role.
func (o *OnlineKey) check(root *metadata.Metadata[metadata.RootType]) error {
	for _, r := range []string{layout.RoleSnapshot, layout.RoleTimestamp} {
		role := root.Signed.Roles[r]
		if role == nil || !slices.Contains(role.KeyIDs, o.key.ID) {
			return fmt.Errorf("%w: root v%d does not list key %s (%s) for %s", ErrNotOnlineKey, root.Signed.Version, o.key.Ref, o.key.ID[:12], r)
		}
	}
	for _, r := range []string{layout.RoleRoot, layout.RoleTargets} {
		if role := root.Signed.Roles[r]; role != nil && slices.Contains(role.KeyIDs, o.key.ID) {
			return fmt.Errorf("refusing to use key %s online: root lists it for %s", o.key.ID[:12], r)
		}
	}
	return nil
}

func (o *OnlineKey) signSnapshot(m *metadata.Metadata[metadata.SnapshotType]) error {
	m.Signatures = []metadata.Signature{}
	return o.sign(func() error { _, err := m.Sign(o.key.Signer); return err })
}

func (o *OnlineKey) signTimestamp(m *metadata.Metadata[metadata.TimestampType]) error {
	m.Signatures = []metadata.Signature{}
	return o.sign(func() error { _, err := m.Sign(o.key.Signer); return err })
}

// sign runs do and reports the backend's own error when it fails, which
// go-tuf replaces with a generic one.
func (o *OnlineKey) sign(do func() error) error {
	if err := do(); err != nil {
		if cause := o.key.SignError(); cause != nil {
			err = cause
		}
		return fmt.Errorf("signing with online key %s: %w", o.key.Ref, err)
	}
	return nil
}
