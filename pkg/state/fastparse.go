package state

import (
	"encoding/json"
	"reflect"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/trust"
)

// One decoding pass for plain targets metadata.
//
// go-tuf's FromBytes decodes a targets file about five times over: once
// into a map to check its type, then every object once into its struct
// and once more into a map to collect unknown fields (each nested
// UnmarshalJSON re-validating its bytes). That is where half of a full
// verify went. For a file the strict scan found plain (no null, no key
// beyond go-tuf's fields: every file tufgit writes) those extra passes
// can find nothing, so it is decoded once into mirror types without their
// own UnmarshalJSON, and the same go-tuf values are built from them: the
// same fields, and the empty (not nil) UnrecognizedFields go-tuf leaves.
// Anything else, and any doubt (a decoding error, a missing or mistyped
// "signed", succinct roles, a target without hashes, two signatures by
// one key), goes to go-tuf's FromBytes, which decides and words the error.
// FuzzParseTargetsFast holds this to FromBytes' result on every input.

type fastMeta struct {
	Signed     *fastTargets `json:"signed"`
	Signatures []fastSig    `json:"signatures"`
}

type fastSig struct {
	KeyID     string            `json:"keyid"`
	Signature metadata.HexBytes `json:"sig"`
}

type fastTargets struct {
	Type        string                     `json:"_type"`
	SpecVersion string                     `json:"spec_version"`
	Version     int64                      `json:"version"`
	Expires     time.Time                  `json:"expires"`
	Targets     map[string]*fastTargetFile `json:"targets"`
	Delegations *fastDelegations           `json:"delegations"`
}

type fastTargetFile struct {
	Length int64            `json:"length"`
	Hashes metadata.Hashes  `json:"hashes"`
	Custom *json.RawMessage `json:"custom"`
}

type fastDelegations struct {
	Keys          map[string]*fastKey `json:"keys"`
	Roles         []fastRole          `json:"roles"`
	SuccinctRoles *json.RawMessage    `json:"succinct_roles"`
}

type fastKey struct {
	Type   string `json:"keytype"`
	Scheme string `json:"scheme"`
	Value  *struct {
		PublicKey string `json:"public"`
	} `json:"keyval"`
	// Owner is the signed owner label (trust.KeyOwnerField), decoded as
	// go-tuf decodes an unrecognized field: into an any.
	Owner any `json:"x-tuf-on-ci-keyowner"`
}

// A key object's owner label leaves a role plain: fastKey reads it.
func init() {
	layout.AllowPlainField(reflect.TypeOf(metadata.Key{}), trust.KeyOwnerField)
}

type fastRole struct {
	Name             string   `json:"name"`
	KeyIDs           []string `json:"keyids"`
	Threshold        int      `json:"threshold"`
	Terminating      bool     `json:"terminating"`
	PathHashPrefixes []string `json:"path_hash_prefixes"`
	Paths            []string `json:"paths"`
}

func none() map[string]any { return map[string]any{} }

// fastTargetsFromBytes decodes plain targets metadata in one pass; ok is
// false when go-tuf must decide.
func fastTargetsFromBytes(raw []byte) (*metadata.Metadata[metadata.TargetsType], bool) {
	var f fastMeta
	if err := json.Unmarshal(raw, &f); err != nil || f.Signed == nil || f.Signed.Type != metadata.TARGETS {
		return nil, false
	}
	m := &metadata.Metadata[metadata.TargetsType]{UnrecognizedFields: none()}
	if f.Signatures != nil {
		m.Signatures = make([]metadata.Signature, len(f.Signatures))
		seen := make(map[string]bool, len(f.Signatures))
		for i, s := range f.Signatures {
			if seen[s.KeyID] {
				return nil, false
			}
			seen[s.KeyID] = true
			m.Signatures[i] = metadata.Signature{KeyID: s.KeyID, Signature: s.Signature, UnrecognizedFields: none()}
		}
	}
	t := f.Signed
	m.Signed = metadata.TargetsType{Type: t.Type, SpecVersion: t.SpecVersion, Version: t.Version, Expires: t.Expires, UnrecognizedFields: none()}
	if t.Targets != nil {
		m.Signed.Targets = make(map[string]*metadata.TargetFiles, len(t.Targets))
		for p, tf := range t.Targets {
			if tf == nil || len(tf.Hashes) == 0 {
				return nil, false
			}
			m.Signed.Targets[p] = &metadata.TargetFiles{Length: tf.Length, Hashes: tf.Hashes, Custom: tf.Custom, Path: p, UnrecognizedFields: none()}
		}
	}
	if d := t.Delegations; d != nil {
		if d.SuccinctRoles != nil {
			return nil, false
		}
		del := &metadata.Delegations{UnrecognizedFields: none()}
		if d.Keys != nil {
			del.Keys = make(map[string]*metadata.Key, len(d.Keys))
			for id, k := range d.Keys {
				if k == nil {
					return nil, false
				}
				key := &metadata.Key{Type: k.Type, Scheme: k.Scheme, UnrecognizedFields: none()}
				if k.Owner != nil {
					key.UnrecognizedFields[trust.KeyOwnerField] = k.Owner
				}
				if k.Value != nil { // absent: go-tuf leaves a zero KeyVal
					key.Value = metadata.KeyVal{PublicKey: k.Value.PublicKey, UnrecognizedFields: none()}
				}
				del.Keys[id] = key
			}
		}
		if d.Roles != nil {
			del.Roles = make([]metadata.DelegatedRole, len(d.Roles))
			for i, r := range d.Roles {
				del.Roles[i] = metadata.DelegatedRole{Name: r.Name, KeyIDs: r.KeyIDs, Threshold: r.Threshold, Terminating: r.Terminating,
					PathHashPrefixes: r.PathHashPrefixes, Paths: r.Paths, UnrecognizedFields: none()}
			}
		}
		m.Signed.Delegations = del
	}
	return m, true
}
