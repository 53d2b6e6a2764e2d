package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
)

// InitOptions are the options of `tufgit init`.
type InitOptions struct {
	IO               *IOStreams
	Dir              string
	Name             string
	RootKeys         []string
	RootThreshold    int
	TargetsKeys      []string
	TargetsThreshold int
	OnlineKey        string
	Expiry           []string
	ArtifactStore    string
	Shards           int
}

func newInitCmd(io *IOStreams) *cobra.Command {
	o := &InitOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "init DIR --root-key K... --targets-key K... --online-key K",
		Short: "Create a new tufgit repository",
		Long: `Create a new git repository in DIR holding a new TUF repository:

  root v1        signed by the root keys (offline, the admins')
  targets v1     signed by the targets keys (offline, the admins')
  36 index roles idx_0 … idx_z, signed by the targets keys; projects are
                 delegated from these, by the first letters of their names
  tufgit.json    the repository config: expiry periods, the online key

Snapshot and timestamp are signed later, when publishing, by the online key;
--online-key may be its public key file or KMS URI.

A key given as a public key file (or a private one when fewer private keys are
given than a threshold needs) leaves the repository with a pending signature
request named "init" instead of signed metadata; its holders add their
signatures with 'tufgit sign init'. 'tufgit verify' reports it as pending.

A root or targets key given as LABEL=KEY ('Ada=admin1.key') has its label
signed into root's key object (x-tuf-on-ci-keyowner, as tuf-on-ci does):
signers then read "Ada (3f9a2c1b0d4e)" instead of a bare keyid.

Expiry periods default to: root, targets, index and project roles 365d,
snapshot 7d, timestamp 1d. Change them with --expiry ROLE=DURATION.

--shards K splits the repository into K hash shards (a power of two up to
4096), each published as its own small TUF repository with its own snapshot
and timestamp, all sharing root and targets. A project's shard is the top bits
of sha256 of its normalized name; every shard has its own 36 index roles
(K × 36 in all, signed now), and targets lists the admin-signed shard map
_tufgit/shards.json that clients read to find a shard. Choose K so that a
shard holds about a thousand projects or fewer (2048 at a million projects,
see docs/sharding.md); the default, 1, is one repository.`,
		Example: `  # One admin, all keys at hand: signed at once
  tufgit init myrepo --root-key admin.key --targets-key admin.key --online-key online.pub

  # Two of three admins must sign root; the others sign later
  tufgit init myrepo --root-key a1.key --root-key a2.pub --root-key a3.pub --root-threshold 2 \
      --targets-key a1.key --online-key awskms:///alias/tufgit-online --expiry timestamp=12h

  # A large index: 1024 hash shards
  tufgit init bigrepo --root-key admin.key --targets-key admin.key --online-key online.pub --shards 1024`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Dir = args[0]
			return o.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.RootKeys, "root-key", nil, "a root key, [LABEL=]KEY: a label is signed into root (repeat for several)")
	f.IntVar(&o.RootThreshold, "root-threshold", 1, "signatures root needs")
	f.StringArrayVar(&o.TargetsKeys, "targets-key", nil, "a targets key, [LABEL=]KEY (repeat for several)")
	f.IntVar(&o.TargetsThreshold, "targets-threshold", 1, "signatures targets and the index roles need")
	f.StringVar(&o.OnlineKey, "online-key", "", "the key that signs snapshot and timestamp when publishing")
	f.StringVar(&o.Name, "name", "", "a human name for the repository")
	f.StringArrayVar(&o.Expiry, "expiry", nil, "ROLE=DURATION, ROLE one of root, targets, index, project, snapshot, timestamp (e.g. timestamp=12h); capped: timestamp 7d, snapshot 30d, others 5 years")
	f.StringVar(&o.ArtifactStore, "artifact-store", "git", "where artifact bytes live: git (in the repository) or s3://, gs://, azblob://, file:// URL")
	f.IntVar(&o.Shards, "shards", 1, "number of hash shards, a power of two from 1 to 4096")
	_ = cmd.MarkFlagRequired("root-key")
	_ = cmd.MarkFlagRequired("targets-key")
	_ = cmd.MarkFlagRequired("online-key")
	return cmd
}

// Run creates the repository.
func (o *InitOptions) Run(ctx context.Context) error {
	exp, err := parseExpiry(o.Expiry)
	if err != nil {
		return err
	}
	if _, err := repo.ShardBits(o.Shards); err != nil || o.Shards < 1 {
		return usageError("--shards %d: want a power of two from 1 to %d", o.Shards, 1<<layout.MaxShardBits)
	}
	now := o.IO.Now()
	pass := cachedPassphrase(o.IO.Passphrase())
	labels := map[string]string{}
	load := func(refs []string) ([]*keys.Key, error) {
		var out []*keys.Key
		for _, spec := range refs {
			// [LABEL=]KEY: a label given is signed into root's key object.
			label, r, err := splitMaintainerSpec(spec)
			if err != nil {
				return nil, usageError("key %q: %v (give LABEL=KEY or KEY)", spec, err)
			}
			if r == spec {
				label = ""
			}
			k, err := keys.Load(ctx, r, pass)
			if err != nil {
				return nil, err
			}
			if label != "" {
				if prev, ok := labels[k.ID]; ok && prev != label {
					return nil, usageError("key %s is labelled both %q and %q; give one label", r, prev, label)
				}
				labels[k.ID] = label
			}
			out = append(out, k)
		}
		return out, nil
	}
	rootKeys, err := load(o.RootKeys)
	if err != nil {
		return err
	}
	targetsKeys, err := load(o.TargetsKeys)
	if err != nil {
		return err
	}
	online, err := keys.Load(ctx, o.OnlineKey, pass)
	if err != nil {
		return err
	}
	online.Signer = nil // init never signs with the online key
	res, err := repo.Init(ctx, repo.InitOptions{
		Dir: o.Dir, Name: o.Name,
		RootKeys: rootKeys, RootThreshold: o.RootThreshold,
		TargetsKeys: targetsKeys, TargetsThreshold: o.TargetsThreshold, Labels: labels,
		OnlineKey: online, Expiry: exp, Now: now, ArtifactStore: o.ArtifactStore, Shards: o.Shards,
	})
	if err != nil {
		return err
	}
	w := o.IO.Out
	fmt.Fprintf(w, "created tufgit repository %s (commit %s)\n", o.Dir, res.Commit[:12])
	fmt.Fprintf(w, "  root     v1: %d of %d signature(s) needed are present\n", res.RootSigned, res.RootThreshold)
	fmt.Fprintf(w, "  targets  v1: %d of %d signature(s) needed are present\n", min(res.TargetsSigned, res.TargetsThreshold), res.TargetsThreshold)
	if o.Shards > 1 {
		fmt.Fprintf(w, "  %d hash shards, each with its own index: %d index roles, signed like targets\n", o.Shards, res.IndexRoles)
	} else {
		fmt.Fprintf(w, "  %d index roles, signed like targets\n", res.IndexRoles)
	}
	fmt.Fprintf(w, "  online key %s will sign snapshot and timestamp when publishing\n", online.ID[:12])
	if res.Pending {
		fmt.Fprintf(w, "\nThe keys at hand do not meet every threshold, so the metadata waits in request %q.\n", res.RequestID)
		fmt.Fprintf(w, "Each missing signer runs:  tufgit sign %s --key THEIR-KEY --repo %s\n", res.RequestID, o.Dir)
	} else {
		fmt.Fprintf(w, "\nNext: tufgit verify --repo %s\n", o.Dir)
	}
	return nil
}

// parseExpiry reads --expiry ROLE=DURATION flags over the defaults.
func parseExpiry(flags []string) (layout.Expiry, error) {
	e := layout.DefaultExpiry()
	for _, f := range flags {
		role, val, ok := strings.Cut(f, "=")
		if !ok {
			return e, usageError("--expiry %q: want ROLE=DURATION, e.g. timestamp=12h", f)
		}
		d, err := layout.ParseDuration(val)
		if err != nil {
			return e, usageError("--expiry %s: %v", role, err)
		}
		switch role {
		case "root":
			e.Root = d
		case "targets":
			e.Targets = d
		case "index":
			e.Index = d
		case "project":
			e.Project = d
		case "snapshot":
			e.Snapshot = d
		case "timestamp":
			e.Timestamp = d
		default:
			return e, usageError("--expiry %q: unknown role (root, targets, index, project, snapshot, timestamp)", role)
		}
	}
	if e.Timestamp > e.Snapshot {
		return e, usageError("--expiry: timestamp (%s) must not outlive snapshot (%s)", e.Timestamp, e.Snapshot)
	}
	if err := e.Validate(); err != nil {
		return e, usageError("--expiry: %v (see docs/threat-model.md)", err)
	}
	return e, nil
}

// cachedPassphrase asks once per prompt, so one key given for two roles
// is unlocked once.
func cachedPassphrase(p keys.Passphrase) keys.Passphrase {
	cache := map[string][]byte{}
	return func(prompt string) ([]byte, error) {
		if v, ok := cache[prompt]; ok {
			return v, nil
		}
		v, err := p(prompt)
		if err == nil {
			cache[prompt] = v
		}
		return v, err
	}
}
