package state_test

import (
	"crypto/ed25519"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
)

// reference is ParseTargets as it was before the one-pass decoder: the
// strict checks, then go-tuf's FromBytes.
func reference(raw []byte) (*metadata.Metadata[metadata.TargetsType], error) {
	if err := layout.CheckJSON(raw); err != nil {
		return nil, &state.ParseError{Path: "r.json", Err: err}
	}
	if err := layout.CheckExactKeys(raw, reflect.TypeOf(metadata.Metadata[metadata.TargetsType]{}), true); err != nil {
		return nil, &state.ParseError{Path: "r.json", Err: err}
	}
	return state.ParseTargetsGoTUF("r.json", raw)
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// sameAsGoTUF checks that ParseTargets gives exactly what the reference
// gives: the same error, or values go-tuf would consider identical (deep
// equality, and the same canonical bytes, which are what signatures sign).
func sameAsGoTUF(t *testing.T, raw []byte) {
	t.Helper()
	got, err := state.ParseTargets("r.json", raw)
	want, werr := reference(raw)
	if errString(err) != errString(werr) {
		t.Fatalf("ParseTargets error %q, reference %q, input %q", errString(err), errString(werr), raw)
	}
	if err != nil {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseTargets and go-tuf decode differently:\n%#v\n%#v\ninput %q", got, want, raw)
	}
	a, err1 := cjson.EncodeCanonical(got.Signed)
	b, err2 := cjson.EncodeCanonical(want.Signed)
	if errString(err1) != errString(err2) || string(a) != string(b) {
		t.Fatalf("canonical forms differ: %s vs %s", a, b)
	}
}

// signedRoles are the shapes tufgit writes: a project role with a target
// and custom data, an index role delegating with keys, an empty role.
func signedRoles(t testing.TB) [][]byte {
	pub, priv, _ := ed25519.GenerateKey(nil)
	key, err := metadata.KeyFromPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signature.LoadSigner(priv, 0)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	var out [][]byte
	proj := metadata.Targets(exp)
	tf, err := metadata.TargetFile().FromBytes("p/1.0/p-1.0.tar.gz", []byte("artifact"), "sha256", "sha512")
	if err != nil {
		t.Fatal(err)
	}
	custom := []byte(`{"tufgit":{"uploaded_by":"a","note":"x"}}`)
	tf.Custom = (*json.RawMessage)(&custom)
	proj.Signed.Targets["p/1.0/p-1.0.tar.gz"] = tf
	index := metadata.Targets(exp)
	id, _ := key.ID()
	index.Signed.Delegations = &metadata.Delegations{Keys: map[string]*metadata.Key{id: key},
		Roles: []metadata.DelegatedRole{{Name: "p", KeyIDs: []string{id}, Threshold: 1, Terminating: true, Paths: []string{"p/*"}}}}
	// An index role whose key object carries its signed owner label, as
	// tufgit writes it.
	labelled := metadata.Targets(exp)
	labelled.Signed.Delegations = &metadata.Delegations{Keys: map[string]*metadata.Key{id: trust.WithOwner(key, "alice")},
		Roles: []metadata.DelegatedRole{{Name: "p", KeyIDs: []string{id}, Threshold: 1, Terminating: true, Paths: []string{"p/*"}}}}
	for _, m := range []*metadata.Metadata[metadata.TargetsType]{proj, index, labelled, metadata.Targets(exp)} {
		if _, err := m.Sign(signer); err != nil {
			t.Fatal(err)
		}
		for _, pretty := range []bool{true, false} {
			b, err := m.ToBytes(pretty)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}

func TestParseTargetsFastPath(t *testing.T) {
	for _, raw := range signedRoles(t) {
		// Positive control: what tufgit writes takes the one-pass path.
		if _, ok := state.FastTargetsFromBytes(raw); !ok {
			t.Fatalf("a role as tufgit writes it does not take the one-pass path: %s", raw)
		}
		if _, _, plain := layout.CheckStrictPlain(raw, reflect.TypeOf(metadata.Metadata[metadata.TargetsType]{}), true); !plain {
			t.Fatalf("a role as tufgit writes it is not plain: %s", raw)
		}
		sameAsGoTUF(t, raw)
	}
	// Inputs the one-pass path must leave to go-tuf, and go-tuf's verdict
	// on them must come through unchanged.
	for _, s := range fastEdgeSeeds {
		sameAsGoTUF(t, []byte(s))
	}
	// Negative controls: these are refused, by go-tuf's words.
	for in, want := range map[string]string{
		`{"signed":{"_type":"root","version":1},"signatures":[]}`:                                         "expected metadata type targets",
		`{"signed":{"_type":"targets","targets":{"a":{"length":1,"hashes":{}}}},"signatures":[]}`:         "hashes must not be empty",
		`{"signed":{"_type":"targets"},"signatures":[{"keyid":"a","sig":"00"},{"keyid":"a","sig":"01"}]}`: "multiple signatures",
		`{"signatures":[]}`: "'signed' field is missing",
	} {
		_, err := state.ParseTargets("r.json", []byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTargets(%s) = %v; want %q", in, err, want)
		}
	}
}

var fastEdgeSeeds = []string{
	// owner labels of other shapes: decoded as go-tuf does, or left to it
	`{"signed":{"_type":"targets","delegations":{"keys":{"a":{"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"00"},"x-tuf-on-ci-keyowner":12}},"roles":[]}},"signatures":[]}`,
	`{"signed":{"_type":"targets","delegations":{"keys":{"a":{"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"00"},"x-tuf-on-ci-keyowner":{"a":[1]}}},"roles":[]}},"signatures":[]}`,
	`{"signed":{"_type":"targets","delegations":{"keys":{"a":{"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"00"},"x-tuf-on-ci-keyowner":null}},"roles":[]}},"signatures":[]}`,
	`{"signed":{"_type":"targets","delegations":{"keys":{"a":{"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"00"},"x-tuf-on-ci-keyowner":"al\u0000ice","x-other":1}},"roles":[]}},"signatures":[]}`,
	`{"signed":{"_type":"targets","spec_version":"1.0","version":1,"expires":"2027-01-01T00:00:00Z","targets":{}},"signatures":[]}`,
	`{"signed":{"_type":"targets","targets":null},"signatures":null}`,
	`{"signed":{"_type":"targets","x":1},"signatures":[],"y":[null]}`,
	`{"signed":{"_type":"targets","delegations":{"keys":{"a":{"keytype":"ed25519","scheme":"ed25519"}},"roles":[]}},"signatures":[]}`,
	`{"signed":{"_type":"targets","delegations":{"keys":{"a":null}}},"signatures":[]}`,
	`{"signed":{"_type":"targets","delegations":{"succinct_roles":{"bit_length":0}}},"signatures":[]}`,
	`{"signed":{"_type":"targets","delegations":{"keys":{},"roles":[{"name":"x","paths":["a"],"path_hash_prefixes":["b"]}]}},"signatures":[]}`,
	`{"signed":{"_type":"targets","targets":{"a":{"length":1,"hashes":{"sha256":"0"}}}},"signatures":[]}`,
	`{"signed":{"_type":"targets","targets":{"a":{"length":1,"hashes":{"sha256":"00"},"custom":null}}},"signatures":[]}`,
	`{"signed":{"_type":"targets","targets":{"a":null}},"signatures":[]}`,
	`{"signed":{"_type":"targets","version":"1"},"signatures":[]}`,
	`{"signed":{"_type":"targets","expires":"soon"},"signatures":[]}`,
	`{"signed":{"_type":7},"signatures":[]}`,
	`{"signed":[],"signatures":[]}`,
	`{"signed":null}`,
	`{"signed":{"_type":"targets"},"signatures":[{"keyid":"a","sig":"zz"}]}`,
	`{"signed":{"_type":"targets"},"signatures":[{"keyid":"a"}]}`,
	`{"signed":{"_type":"targets","delegations":{"keys":{"a":{"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"00","private":"11"}}}}},"signatures":[]}`,
	`[]`, `{}`, `{"signed":{"_type":"targets","Version":1}}`,
}

// FuzzParseTargetsFast: whatever the input, ParseTargets decides exactly
// as the strict checks followed by go-tuf's FromBytes do.
func FuzzParseTargetsFast(f *testing.F) {
	for _, raw := range signedRoles(f) {
		f.Add(raw)
	}
	for _, s := range fastEdgeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		sameAsGoTUF(t, raw)
	})
}
