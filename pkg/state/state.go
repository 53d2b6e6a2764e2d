// Package state is a read-only view of the TUF metadata in one tree of a
// tufgit repository, with parsed roles cached and delegations resolved
// through the prefix index. Proposed changes can be laid over a tree with
// Overlay, so that a request is judged exactly as if it were applied.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/trust"
)

// ErrNotExist is returned for a file or role that is not there.
var ErrNotExist = gitstore.ErrNotExist

// Source gives bounded reads of files by path.
type Source interface {
	ReadFile(path string, max int64) ([]byte, error)
}

// Overlay is a Source that reads files from a map first (nil data means
// deleted) and from Base otherwise.
type Overlay struct {
	Base  Source
	Files map[string][]byte
}

// ReadFile implements Source.
func (o *Overlay) ReadFile(p string, max int64) ([]byte, error) {
	if d, ok := o.Files[p]; ok {
		if d == nil {
			return nil, fmt.Errorf("%s: %w", p, ErrNotExist)
		}
		if int64(len(d)) > max {
			return nil, fmt.Errorf("%s: %w", p, gitstore.ErrTooLarge)
		}
		return d, nil
	}
	if o.Base == nil {
		return nil, fmt.Errorf("%s: %w", p, ErrNotExist)
	}
	return o.Base.ReadFile(p, max)
}

// ParseError is metadata that can not be read.
type ParseError struct {
	Path string
	Err  error
}

func (e *ParseError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *ParseError) Unwrap() error { return e.Err }

var (
	rootType    = reflect.TypeOf(metadata.Metadata[metadata.RootType]{})
	targetsType = reflect.TypeOf(metadata.Metadata[metadata.TargetsType]{})
)

// checkMetadataJSON applies CheckJSON's rules, and refuses keys that
// encoding/json (and so go-tuf) would match to a field only by ignoring
// case: python-tuf and tuf-js read those as different keys. Unknown keys
// are allowed, as TUF allows them.
func checkMetadataJSON(raw []byte, t reflect.Type) error {
	jsonErr, keyErr := layout.CheckStrict(raw, t, true)
	if jsonErr != nil {
		return jsonErr
	}
	return keyErr
}

// ParseRoot parses root metadata strictly: CheckJSON's rules, then go-tuf.
func ParseRoot(p string, raw []byte) (*metadata.Metadata[metadata.RootType], error) {
	if err := checkMetadataJSON(raw, rootType); err != nil {
		return nil, &ParseError{p, err}
	}
	m, err := metadata.Root().FromBytes(raw)
	if err != nil {
		return nil, &ParseError{p, fmt.Errorf("not valid root metadata: %w", err)}
	}
	return m, nil
}

// ParseTargets parses targets-type metadata strictly: CheckJSON's rules
// and the exact-key rule in one scan, then one decoding pass for plain
// files (fastparse.go) or go-tuf's FromBytes for anything else.
func ParseTargets(p string, raw []byte) (*metadata.Metadata[metadata.TargetsType], error) {
	jsonErr, keyErr, plain := layout.CheckStrictPlain(raw, targetsType, true)
	if jsonErr != nil {
		return nil, &ParseError{p, jsonErr}
	}
	if keyErr != nil {
		return nil, &ParseError{p, keyErr}
	}
	if plain {
		if m, ok := fastTargetsFromBytes(raw); ok {
			return m, nil
		}
	}
	return parseTargetsGoTUF(p, raw)
}

func parseTargetsGoTUF(p string, raw []byte) (m *metadata.Metadata[metadata.TargetsType], err error) {
	// go-tuf 2.4.2 dereferences a null target entry ("targets":{"a":null})
	// and panics; a hostile file must be refused, not crash the hook.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, &ParseError{p, fmt.Errorf("not valid targets metadata: go-tuf could not decode it (%v)", r)}
		}
	}()
	m, err = metadata.Targets().FromBytes(raw)
	if err != nil {
		return nil, &ParseError{p, fmt.Errorf("not valid targets metadata: %w", err)}
	}
	return m, nil
}

// Role is a parsed targets-type role.
type Role struct {
	Name string
	Path string
	Raw  []byte
	Meta *metadata.Metadata[metadata.TargetsType]
}

// View reads and caches the metadata of one tree.
type View struct {
	src    Source
	cfg    *layout.Config
	cfgErr error
	root   *metadata.Metadata[metadata.RootType]
	roles  map[string]*Role
	errs   map[string]error
	// Reads counts role files read, for benchmarks and tests.
	Reads int
}

// New returns a view of src.
func New(src Source) *View {
	return &View{src: src, roles: map[string]*Role{}, errs: map[string]error{}}
}

// With returns a view of this view's tree with files laid over it (nil
// data means deleted). Roles and root this view has parsed already are
// shared, except those files replaces, so judging a proposal or a change
// costs only the files it touches.
func (v *View) With(files map[string][]byte) *View {
	nv := &View{src: &Overlay{Base: v.src, Files: files}, root: v.root, roles: make(map[string]*Role, len(v.roles)), errs: map[string]error{}}
	changed := map[string]bool{}
	keepCfg := true
	for p := range files {
		le, err := layout.Classify(p)
		if err != nil {
			continue
		}
		switch le.Kind {
		case layout.KindRoot:
			nv.root = nil
		case layout.KindConfig:
			keepCfg = false
		case layout.KindTargets, layout.KindIndexRole, layout.KindProjectRole:
			changed[le.Role] = true
		}
	}
	if keepCfg {
		nv.cfg, nv.cfgErr = v.cfg, v.cfgErr
	}
	for name, r := range v.roles {
		if !changed[name] {
			nv.roles[name] = r
		}
	}
	for name, err := range v.errs {
		if !changed[name] {
			nv.errs[name] = err
		}
	}
	return nv
}

// Config returns the tree's tufgit.json, parsed once (layout.ParseConfig)
// and shared by every package that reads this view. Its error is the
// read's or the parse's, without the file name.
func (v *View) Config() (*layout.Config, error) {
	if v.cfg == nil && v.cfgErr == nil {
		raw, err := v.src.ReadFile(layout.ConfigPath, layout.MaxConfigSize)
		if err == nil {
			v.cfg, err = layout.ParseConfig(raw)
		}
		v.cfgErr = err
	}
	return v.cfg, v.cfgErr
}

// Source returns the underlying source.
func (v *View) Source() Source { return v.src }

// Root returns the current root (metadata/root.json).
func (v *View) Root() (*metadata.Metadata[metadata.RootType], error) {
	if v.root != nil {
		return v.root, nil
	}
	raw, err := v.src.ReadFile(layout.RootPath, layout.MaxRootSize)
	if err != nil {
		return nil, err
	}
	v.Reads++
	m, err := ParseRoot(layout.RootPath, raw)
	if err != nil {
		return nil, err
	}
	v.root = m
	return m, nil
}

// Role returns a targets-type role (targets, an index role or a project).
func (v *View) Role(name string) (*Role, error) {
	if r, ok := v.roles[name]; ok {
		return r, nil
	}
	if err, ok := v.errs[name]; ok {
		return nil, err
	}
	p := layout.RolePath(name)
	raw, err := v.src.ReadFile(p, layout.MaxTargetsSize)
	if err == nil {
		v.Reads++
		var m *metadata.Metadata[metadata.TargetsType]
		m, err = ParseTargets(p, raw)
		if err == nil {
			r := &Role{Name: name, Path: p, Raw: raw, Meta: m}
			v.roles[name] = r
			return r, nil
		}
	}
	v.errs[name] = err
	return nil, err
}

// Peek is Role without keeping what it parses: the cached role when there
// is one, else the file read and parsed for this caller alone. A caller
// that visits every role once (a full publish) uses it, so that its
// memory follows the role in hand, not the repository.
func (v *View) Peek(name string) (*Role, error) {
	if r, ok := v.roles[name]; ok {
		return r, nil
	}
	if err, ok := v.errs[name]; ok {
		return nil, err
	}
	raw, err := v.ReadRole(name)
	if err != nil {
		return nil, err
	}
	return ParseRole(name, raw)
}

// ReadRole reads a targets-type role's file without parsing or caching
// it, for callers that parse on other goroutines (ParseRole) and then hand
// the result back with Remember. It counts as a read.
func (v *View) ReadRole(name string) ([]byte, error) {
	raw, err := v.src.ReadFile(layout.RolePath(name), layout.MaxTargetsSize)
	if err == nil {
		v.Reads++
	}
	return raw, err
}

// ParseRole parses raw as the file of the targets-type role name, exactly
// as Role does. It is safe for concurrent use.
func ParseRole(name string, raw []byte) (*Role, error) {
	p := layout.RolePath(name)
	m, err := ParseTargets(p, raw)
	if err != nil {
		return nil, err
	}
	return &Role{Name: name, Path: p, Raw: raw, Meta: m}, nil
}

// Remember caches what ReadRole and ParseRole gave for name, so that Role
// returns it without reading again.
func (v *View) Remember(name string, r *Role, err error) {
	if err != nil {
		v.errs[name] = err
		return
	}
	v.roles[name] = r
}

// ShardBits is the tree's index.shard_bits (0, one shard, when tufgit.json
// can not be read: verify reports that on its own).
func (v *View) ShardBits() int {
	if cfg, err := v.Config(); err == nil {
		return cfg.Index.ShardBits
	}
	return 0
}

// ChildIDs are the role ids a delegation from delegator to the TUF role
// name reaches in this tree (layout.ChildIDs).
func (v *View) ChildIDs(delegator, name string) []string {
	return layout.ChildIDs(delegator, name, v.ShardBits())
}

// Parent is the role that delegates name (a role id), by the layout's
// structure: root for targets, targets for a one-character index role,
// the index role one character shorter (in the same shard) for a longer
// one, and for a project the deepest index role of its shard whose prefix
// covers it (found by reading the index).
func (v *View) Parent(name string) (string, error) {
	switch layout.RoleKind(name) {
	case layout.KindTargets:
		return layout.RoleRoot, nil
	case layout.KindIndexRole:
		if _, err := layout.ParseShardName(layout.RoleShard(name), v.ShardBits()); err != nil {
			return "", fmt.Errorf("index role %s is in no shard of this repository: %v", name, err)
		}
		p, _ := layout.IndexPrefix(name)
		if len(p) == 1 {
			return layout.RoleTargets, nil
		}
		return layout.IndexRoleID(layout.RoleShard(name), p[:len(p)-1]), nil
	case layout.KindProjectRole:
		return v.IndexFor(name)
	}
	return "", fmt.Errorf("role %q has no place in the layout", name)
}

// IndexFor finds the index role (its id) that delegates, or would
// delegate, the project: start at the one-character index role of the
// project's shard and step to the child index role for the next character
// for as long as one is delegated.
func (v *View) IndexFor(project string) (string, error) {
	shard := layout.ProjectShard(project, v.ShardBits())
	parentName := layout.RoleTargets
	cur := layout.IndexRoleID(shard, project[:1])
	for depth := 1; ; depth++ {
		parent, err := v.Role(parentName)
		if err != nil {
			return "", fmt.Errorf("finding the index role for %s: %w", project, err)
		}
		if !delegates(parent.Meta, layout.RoleName(cur)) {
			if parentName == layout.RoleTargets {
				return "", fmt.Errorf("targets delegates no index role for projects starting with %q", project[:1])
			}
			return parentName, nil
		}
		if depth >= len(project) {
			return cur, nil
		}
		parentName, cur = cur, layout.IndexRoleID(shard, project[:depth+1])
	}
}

func delegates(m *metadata.Metadata[metadata.TargetsType], role string) bool {
	if m.Signed.Delegations == nil {
		return false
	}
	for _, r := range m.Signed.Delegations.Roles {
		if r.Name == role {
			return true
		}
	}
	return false
}

// Delegation returns what name's delegator says about it.
func (v *View) Delegation(name string) (*trust.Delegation, string, error) {
	parent, err := v.Parent(name)
	if err != nil {
		return nil, "", err
	}
	if parent == layout.RoleRoot {
		root, err := v.Root()
		if err != nil {
			return nil, parent, err
		}
		d, err := trust.FromRoot(root, name)
		return d, parent, err
	}
	pr, err := v.Role(parent)
	if err != nil {
		return nil, parent, err
	}
	d, err := trust.FromTargets(pr.Meta, layout.RoleName(name))
	if err != nil {
		return nil, parent, fmt.Errorf("%s does not delegate %s", parent, name)
	}
	return d, parent, nil
}

// IsNotExist reports whether err means a missing file or role.
func IsNotExist(err error) bool { return errors.Is(err, ErrNotExist) }

// ProjectOfPath returns the project a target path belongs to.
func ProjectOfPath(p string) string {
	name, _, _ := strings.Cut(p, "/")
	return name
}

// ParseWithdrawal parses a request's withdrawal record: a targets-type
// envelope (parsed strictly, like any metadata) with no targets and no
// delegations, version 1, expiring the moment it was made, whose signed
// part carries layout.WithdrawalField.
func ParseWithdrawal(p string, raw []byte) (*metadata.Metadata[metadata.TargetsType], *layout.Withdrawal, error) {
	m, err := ParseTargets(p, raw)
	if err != nil {
		return nil, nil, err
	}
	field, ok := m.Signed.UnrecognizedFields[layout.WithdrawalField]
	if !ok {
		return nil, nil, &ParseError{p, fmt.Errorf("not a withdrawal record: %s is missing", layout.WithdrawalField)}
	}
	if len(m.Signed.UnrecognizedFields) != 1 {
		return nil, nil, &ParseError{p, fmt.Errorf("a withdrawal record has no fields but %s", layout.WithdrawalField)}
	}
	inner, err := json.Marshal(field)
	if err != nil {
		return nil, nil, &ParseError{p, err}
	}
	var w layout.Withdrawal
	if err := layout.DecodeStrict(inner, &w); err != nil {
		return nil, nil, &ParseError{p, fmt.Errorf("%s: %w", layout.WithdrawalField, err)}
	}
	if err := w.Validate(); err != nil {
		return nil, nil, &ParseError{p, fmt.Errorf("%s: %w", layout.WithdrawalField, err)}
	}
	switch {
	case len(m.Signed.Targets) > 0 || m.Signed.Delegations != nil:
		return nil, nil, &ParseError{p, fmt.Errorf("a withdrawal record lists no targets and no delegations")}
	case m.Signed.Version != 1:
		return nil, nil, &ParseError{p, fmt.Errorf("a withdrawal record is version 1, not %d", m.Signed.Version)}
	case !m.Signed.Expires.Equal(w.Withdrawn):
		return nil, nil, &ParseError{p, fmt.Errorf("a withdrawal record expires when it is made (%s), not at %s",
			w.Withdrawn.UTC().Format(time.RFC3339), m.Signed.Expires.UTC().Format(time.RFC3339))}
	}
	return m, &w, nil
}
