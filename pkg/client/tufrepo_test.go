package client_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// tufRepo is a small TUF repository of any shape, made with go-tuf's
// metadata package and served on 127.0.0.1: what a general TUF client
// meets, not only tufgit's layout.
type tufRepo struct {
	t          tb
	dir        string // served: dir/metadata, dir/targets
	url        string
	consistent bool
	expires    time.Time
	keys       map[string]ed25519.PrivateKey
	root       *metadata.Metadata[metadata.RootType]
	roles      map[string]*metadata.Metadata[metadata.TargetsType]
	signers    map[string][]string // role → names of the keys that sign it
	rootRaw    []byte
}

// tb is what tufRepo needs of a testing.TB; examples pass an exampleTB.
type tb interface {
	Helper()
	Fatal(args ...any)
	TempDir() string
	Cleanup(func())
}

// exampleTB is a tb for examples: Fatal panics, Close removes what
// TempDir made and runs the cleanups.
type exampleTB struct{ cleanups []func() }

func (e *exampleTB) Helper()           {}
func (e *exampleTB) Fatal(args ...any) { panic(fmt.Sprint(args...)) }
func (e *exampleTB) Cleanup(f func())  { e.cleanups = append(e.cleanups, f) }
func (e *exampleTB) TempDir() string {
	d, err := os.MkdirTemp("", "tufrepo")
	if err != nil {
		panic(err)
	}
	e.Cleanup(func() { os.RemoveAll(d) })
	return d
}
func (e *exampleTB) Close() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}

// newTUFRepo makes a repository whose top-level roles each have their
// own key (named after the role).
func newTUFRepo(t tb, consistent bool) *tufRepo {
	t.Helper()
	r := &tufRepo{t: t, dir: t.TempDir(), consistent: consistent, expires: time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second),
		keys: map[string]ed25519.PrivateKey{}, roles: map[string]*metadata.Metadata[metadata.TargetsType]{}, signers: map[string][]string{}}
	r.root = metadata.Root(r.expires)
	r.root.Signed.ConsistentSnapshot = consistent
	for _, role := range []string{metadata.ROOT, metadata.TARGETS, metadata.SNAPSHOT, metadata.TIMESTAMP} {
		if err := r.root.Signed.AddKey(r.pub(role), role); err != nil {
			t.Fatal(err)
		}
	}
	r.roles[metadata.TARGETS] = metadata.Targets(r.expires)
	r.signers[metadata.TARGETS] = []string{metadata.TARGETS}
	r.sign(r.root, metadata.ROOT)
	raw, err := r.root.ToBytes(true)
	if err != nil {
		t.Fatal(err)
	}
	r.rootRaw = raw
	for _, d := range []string{"metadata", "targets"} {
		os.MkdirAll(filepath.Join(r.dir, d), 0o755)
	}
	r.write("metadata/1.root.json", raw)
	r.write("metadata/root.json", raw)
	srv := httptest.NewServer(http.FileServer(http.Dir(r.dir)))
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

// key is the private key called name (made on first use; deterministic).
func (r *tufRepo) key(name string) ed25519.PrivateKey {
	if k, ok := r.keys[name]; ok {
		return k
	}
	seed := sha256.Sum256([]byte("tufrepo key " + name))
	k := ed25519.NewKeyFromSeed(seed[:])
	r.keys[name] = k
	return k
}

func (r *tufRepo) pub(name string) *metadata.Key {
	k, err := metadata.KeyFromPublicKey(r.key(name).Public())
	if err != nil {
		r.t.Fatal(err)
	}
	return k
}

func (r *tufRepo) sign(m interface {
	Sign(signature.Signer) (*metadata.Signature, error)
}, keyNames ...string) {
	for _, n := range keyNames {
		s, err := signature.LoadSigner(r.key(n), crypto.Hash(0))
		if err != nil {
			r.t.Fatal(err)
		}
		if _, err := m.Sign(s); err != nil {
			r.t.Fatal(err)
		}
	}
}

func (r *tufRepo) write(p string, data []byte) {
	r.t.Helper()
	p = filepath.Join(r.dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// role is the targets role name, made (signed by a key of its own name)
// on first use.
func (r *tufRepo) role(name string) *metadata.Metadata[metadata.TargetsType] {
	m := r.roles[name]
	if m == nil {
		m = metadata.Targets(r.expires)
		r.roles[name] = m
		r.signers[name] = []string{name}
	}
	return m
}

// delegate makes parent delegate child to the keys named keyNames (child's
// own key when none), for paths, in the order delegate is called.
func (r *tufRepo) delegate(parent, child string, paths []string, terminating bool, keyNames ...string) {
	p := r.role(parent)
	r.role(child)
	if len(keyNames) == 0 {
		keyNames = []string{child}
	}
	if p.Signed.Delegations == nil {
		p.Signed.Delegations = &metadata.Delegations{Keys: map[string]*metadata.Key{}}
	}
	var ids []string
	for _, n := range keyNames {
		k := r.pub(n)
		id, err := k.ID()
		if err != nil {
			r.t.Fatal(err)
		}
		p.Signed.Delegations.Keys[id] = k
		ids = append(ids, id)
	}
	p.Signed.Delegations.Roles = append(p.Signed.Delegations.Roles, metadata.DelegatedRole{Name: child, KeyIDs: ids, Threshold: 1, Terminating: terminating, Paths: paths})
}

// addTarget lists data as path in role, with the hashes algs (sha256 and
// sha512 when none), and puts the file on the mirror under every name a
// client may ask for. It returns the target's entry.
func (r *tufRepo) addTarget(role, p string, data []byte, algs ...string) *metadata.TargetFiles {
	if len(algs) == 0 {
		algs = []string{"sha256", "sha512"}
	}
	tf, err := metadata.TargetFile().FromBytes(p, data, algs...)
	if err != nil {
		r.t.Fatal(err)
	}
	r.role(role).Signed.Targets[p] = tf
	r.serveTarget(tf, data)
	return tf
}

// serveTarget puts data on the mirror where a client looks for tf.
func (r *tufRepo) serveTarget(tf *metadata.TargetFiles, data []byte) {
	dir, base := path.Split(tf.Path)
	r.write("targets/"+tf.Path, data)
	for _, h := range tf.Hashes {
		r.write(fmt.Sprintf("targets/%s%x.%s", dir, []byte(h), base), data)
	}
}

// publish signs every role with a new version, and snapshot and timestamp
// naming them.
func (r *tufRepo) publish() {
	r.t.Helper()
	snap := metadata.Snapshot(r.expires)
	var names []string
	for n := range r.roles {
		names = append(names, n)
	}
	sort.Strings(names)
	ver := int64(1)
	if old, err := os.ReadFile(filepath.Join(r.dir, "metadata", "timestamp.json")); err == nil {
		ts, err := metadata.Timestamp().FromBytes(old)
		if err != nil {
			r.t.Fatal(err)
		}
		ver = ts.Signed.Version + 1
	}
	for _, n := range names {
		m := r.roles[n]
		m.Signed.Version = ver
		m.Signatures = nil
		r.sign(m, r.signers[n]...)
		raw, err := m.ToBytes(false)
		if err != nil {
			r.t.Fatal(err)
		}
		r.write(fmt.Sprintf("metadata/%d.%s.json", ver, n), raw)
		r.write(fmt.Sprintf("metadata/%s.json", n), raw)
		snap.Signed.Meta[n+".json"] = metadata.MetaFile(ver)
	}
	snap.Signed.Version = ver
	r.sign(snap, metadata.SNAPSHOT)
	raw, err := snap.ToBytes(false)
	if err != nil {
		r.t.Fatal(err)
	}
	r.write(fmt.Sprintf("metadata/%d.snapshot.json", ver), raw)
	r.write("metadata/snapshot.json", raw)
	ts := metadata.Timestamp(r.expires)
	ts.Signed.Version = ver
	ts.Signed.Meta["snapshot.json"] = metadata.MetaFile(ver)
	r.sign(ts, metadata.TIMESTAMP)
	raw, err = ts.ToBytes(false)
	if err != nil {
		r.t.Fatal(err)
	}
	r.write("metadata/timestamp.json", raw)
}
