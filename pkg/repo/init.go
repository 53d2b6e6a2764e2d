package repo

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/trust"
	"github.com/tufgit/tufgit/pkg/verify"
)

// InitOptions describe a new repository.
type InitOptions struct {
	Dir           string
	Name          string
	RootKeys      []*keys.Key
	RootThreshold int
	TargetsKeys   []*keys.Key
	// Labels are owner labels of root and targets keys, by keyid, signed
	// into root's key objects (trust.KeyOwnerField) and the targets keys'
	// objects in targets and the index roles.
	Labels           map[string]string
	TargetsThreshold int
	OnlineKey        *keys.Key
	Expiry           layout.Expiry // zero: layout.DefaultExpiry()
	ArtifactStore    string        // "" or "git": embedded; else a blob URL
	// Shards is K, the number of hash shards (a power of two up to
	// 4096); 0 or 1 is today's single repository.
	Shards int
	Now    time.Time // zero: time.Now()
}

// InitResult says what Init did.
type InitResult struct {
	Commit string
	// Pending is true when the keys at hand did not meet a threshold and
	// the repository holds request "init" instead of signed metadata.
	Pending   bool
	RequestID string
	// Signatures counts signatures made per role kind.
	RootSigned, RootThreshold       int
	TargetsSigned, TargetsThreshold int
	IndexRoles                      int
}

// Init creates a new tufgit repository in opts.Dir (which must not exist
// or be empty): root v1, targets v1 delegating to one index role per first
// character, those index roles, and the config, in one commit.
func Init(ctx context.Context, opts InitOptions) (*InitResult, error) {
	if err := checkKeySet("root keys", opts.RootKeys, opts.RootThreshold); err != nil {
		return nil, err
	}
	if err := checkKeySet("targets keys", opts.TargetsKeys, opts.TargetsThreshold); err != nil {
		return nil, err
	}
	if opts.OnlineKey == nil {
		return nil, errors.New("an online key is needed for snapshot and timestamp")
	}
	for _, k := range append(append([]*keys.Key{}, opts.RootKeys...), opts.TargetsKeys...) {
		if k.ID == opts.OnlineKey.ID {
			return nil, fmt.Errorf("%w: %s is also given as a root or targets key", ErrOnlineKey, k.Ref)
		}
	}
	if opts.Expiry == (layout.Expiry{}) {
		opts.Expiry = layout.DefaultExpiry()
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	bits, err := ShardBits(opts.Shards)
	if err != nil {
		return nil, err
	}
	existed, err := checkEmptyDir(opts.Dir)
	if err != nil {
		return nil, err
	}

	root := metadata.Root(layout.ExpiresAt(now, opts.Expiry.For(layout.RoleRoot)))
	for _, k := range opts.RootKeys {
		if err := root.Signed.AddKey(k.Public, metadata.ROOT); err != nil {
			return nil, err
		}
	}
	for _, k := range opts.TargetsKeys {
		if err := root.Signed.AddKey(k.Public, metadata.TARGETS); err != nil {
			return nil, err
		}
	}
	for _, r := range []string{metadata.SNAPSHOT, metadata.TIMESTAMP} {
		if err := root.Signed.AddKey(opts.OnlineKey.Public, r); err != nil {
			return nil, err
		}
	}
	root.Signed.Roles[metadata.ROOT].Threshold = opts.RootThreshold
	root.Signed.Roles[metadata.TARGETS].Threshold = opts.TargetsThreshold
	// Labels go in after AddKey, which computes keyids from the key
	// object: a label never changes a keyid (trust.KeyID).
	for id, l := range opts.Labels {
		if k, ok := root.Signed.Keys[id]; ok && l != "" {
			if err := trust.CheckOwnerLabel(l); err != nil {
				return nil, fmt.Errorf("label %q of key %s %v", l, trust.Short(id), err)
			}
			root.Signed.Keys[id] = trust.WithOwner(k, l)
		}
	}

	adminKeys := map[string]*metadata.Key{}
	for _, k := range opts.TargetsKeys {
		adminKeys[k.ID] = root.Signed.Keys[k.ID]
	}
	targets := metadata.Targets(layout.ExpiresAt(now, opts.Expiry.For(layout.RoleTargets)))
	targets.Signed.Delegations = &metadata.Delegations{Keys: adminKeys}
	var index []*metadata.Metadata[metadata.TargetsType]
	var indexNames []string
	for _, c := range layout.FirstChars {
		prefix := string(c)
		name := layout.IndexRoleName(prefix)
		targets.Signed.Delegations.Roles = append(targets.Signed.Delegations.Roles, metadata.DelegatedRole{
			Name: name, KeyIDs: keyIDs(opts.TargetsKeys), Threshold: opts.TargetsThreshold,
			Terminating: true, Paths: []string{layout.IndexPathPattern(prefix)},
		})
	}
	// Every shard has its own idx_0 … idx_z, all delegated by targets'
	// one entry each.
	for _, shard := range layout.ShardNames(bits) {
		for _, c := range layout.FirstChars {
			id := layout.IndexRoleID(shard, string(c))
			index = append(index, metadata.Targets(layout.ExpiresAt(now, opts.Expiry.For(id))))
			indexNames = append(indexNames, id)
		}
	}
	var shardMap []byte
	if bits > 0 {
		if shardMap, err = layout.EncodeShardMap(layout.DefaultShardMap(bits)); err != nil {
			return nil, err
		}
		tf, err := metadata.TargetFile().FromBytes(layout.ShardMapTarget, shardMap, "sha256", "sha512")
		if err != nil {
			return nil, err
		}
		targets.Signed.Targets[layout.ShardMapTarget] = tf
	}

	res := &InitResult{RootThreshold: opts.RootThreshold, TargetsThreshold: opts.TargetsThreshold, IndexRoles: len(index)}
	for _, k := range signers(opts.RootKeys) {
		if err := sign(root, k); err != nil {
			return nil, err
		}
		res.RootSigned++
	}
	for _, k := range signers(opts.TargetsKeys) {
		if err := sign(targets, k); err != nil {
			return nil, err
		}
		for _, m := range index {
			if err := sign(m, k); err != nil {
				return nil, err
			}
		}
		res.TargetsSigned++
	}
	res.Pending = res.RootSigned < opts.RootThreshold || res.TargetsSigned < opts.TargetsThreshold

	rootRaw, err := encode(root)
	if err != nil {
		return nil, err
	}
	targetsRaw, err := encode(targets)
	if err != nil {
		return nil, err
	}
	cfg := layout.DefaultConfig()
	cfg.Name = opts.Name
	cfg.Expiry = opts.Expiry
	cfg.OnlineKey.KeyID = opts.OnlineKey.ID
	if opts.ArtifactStore != "" {
		cfg.Artifacts.Store = opts.ArtifactStore
	}
	cfg.Index.ShardBits = bits
	if layout.IsKMSURI(opts.OnlineKey.Ref) {
		cfg.OnlineKey.URI = opts.OnlineKey.Ref
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfgRaw, err := layout.EncodeFile(cfg)
	if err != nil {
		return nil, err
	}
	files := []gitstore.FileChange{
		{Path: layout.ConfigPath, Data: cfgRaw},
		{Path: layout.ReadmePath, Data: []byte(repoReadme(opts.Name))},
	}
	place := func(role, path string, raw []byte) {
		if res.Pending {
			path = layout.RequestRolePath(layout.RequestInit, role)
		}
		files = append(files, gitstore.FileChange{Path: path, Data: raw})
	}
	place(layout.RoleRoot, layout.RootPath, rootRaw)
	if !res.Pending {
		files = append(files, gitstore.FileChange{Path: layout.RootHistoryPath(1), Data: rootRaw})
	}
	place(layout.RoleTargets, layout.TargetsPath, targetsRaw)
	if shardMap != nil {
		files = append(files, gitstore.FileChange{Path: layout.ShardMapPath, Data: shardMap})
	}
	for i, m := range index {
		raw, err := encode(m)
		if err != nil {
			return nil, err
		}
		place(indexNames[i], layout.RolePath(indexNames[i]), raw)
	}

	g, err := gitstore.Init(opts.Dir)
	if err != nil {
		return nil, err
	}
	// Until the commit exists, a failure removes what Init created.
	committed := false
	defer func() {
		if committed {
			return
		}
		if existed {
			os.RemoveAll(g.GitDir())
		} else {
			os.RemoveAll(opts.Dir)
		}
	}()
	author, err := g.Author()
	if err != nil {
		return nil, err
	}
	if res.Pending {
		req := layout.Request{
			Type: layout.RequestType, FormatVersion: layout.FormatVersion, ID: layout.RequestInit,
			Kind: layout.RequestInit, Author: author.String(), Created: now.UTC().Truncate(time.Second),
		}
		raw, err := layout.EncodeFile(req)
		if err != nil {
			return nil, err
		}
		files = append(files, gitstore.FileChange{Path: layout.RequestPath(layout.RequestInit), Data: raw})
		res.RequestID = layout.RequestInit
	}
	tree, err := g.BuildTree(nil, files)
	if err != nil {
		return nil, err
	}
	msg := initMessage(res, opts)
	// The same full check as every other change, before any branch points
	// at the commit: a signer (a KMS key, a mismatched key file) that
	// produced bad signatures leaves no repository behind.
	commit, err := g.CommitTree(gitstore.CommitOptions{Tree: tree, Message: msg, Author: author, When: now, Detached: true})
	if err != nil {
		return nil, err
	}
	rep, err := verify.Commit(g, commit, verify.Options{Now: now})
	if err != nil {
		return nil, err
	}
	if !rep.Valid() {
		return nil, &InvalidInitError{Problems: rep.Problems}
	}
	if err := g.SetBranch(gitstore.DefaultBranch, commit, gitstore.ZeroHash); err != nil {
		return nil, err
	}
	committed = true
	if err := g.WriteWorkTree(files, true); err != nil {
		return nil, fmt.Errorf("commit %s made, but writing the working tree failed (run `git checkout -- .`): %w", commit, err)
	}
	res.Commit = commit.String()
	return res, nil
}

// InvalidInitError says that the repository init made does not verify (a
// signer whose signatures do not match its public key, typically), so
// nothing was created.
type InvalidInitError struct{ Problems []verify.Problem }

func (e *InvalidInitError) Error() string {
	if len(e.Problems) == 0 {
		return "the new repository would not verify, so nothing was created"
	}
	return fmt.Sprintf("the new repository would not verify, so nothing was created: %d problem(s), the first: %s", len(e.Problems), e.Problems[0])
}

// checkEmptyDir reports whether dir exists, refusing one that is not empty.
func checkEmptyDir(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if len(entries) > 0 {
		return true, fmt.Errorf("%s: %w and is not empty", dir, ErrExists)
	}
	return true, nil
}

func initMessage(res *InitResult, opts InitOptions) string {
	var b strings.Builder
	if res.Pending {
		b.WriteString("init: propose repository, awaiting signatures (request init)\n\n")
	} else {
		b.WriteString("init: create repository\n\n")
	}
	fmt.Fprintf(&b, "root v1: %d key(s), threshold %d, signed by %d\n", len(opts.RootKeys), opts.RootThreshold, res.RootSigned)
	fmt.Fprintf(&b, "targets v1: %d key(s), threshold %d, signed by %d\n", len(opts.TargetsKeys), opts.TargetsThreshold, res.TargetsSigned)
	fmt.Fprintf(&b, "index roles: %d (idx_0 … idx_z), signed by the targets keys\n", res.IndexRoles)
	fmt.Fprintf(&b, "online key (snapshot, timestamp): %s\n", opts.OnlineKey.ID)
	return b.String()
}

func repoReadme(name string) string {
	title := "tufgit repository"
	if name != "" {
		title = name
	}
	return "# " + title + `

This git repository is a TUF repository managed by tufgit. Every file here
is either signed TUF metadata, tufgit configuration, a pending signature
request, or an artifact. Do not edit these files by hand: use the tufgit
commands, and run ` + "`tufgit verify`" + ` before pushing.
`
}

// ShardBits turns a shard count K (a power of two from 1 to 4096; 0 means
// 1) into index.shard_bits.
func ShardBits(k int) (int, error) {
	if k == 0 {
		k = 1
	}
	if k < 1 || k > 1<<layout.MaxShardBits || k&(k-1) != 0 {
		return 0, fmt.Errorf("%d shards: want a power of two from 1 to %d", k, 1<<layout.MaxShardBits)
	}
	return bits.TrailingZeros(uint(k)), nil
}
