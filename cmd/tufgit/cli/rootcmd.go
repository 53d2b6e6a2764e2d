package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
)

func newRootKeysCmd(io *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "root",
		Short: "Change or renew root: root, targets and online keys",
		Long: `Root lists the keys of the four top-level roles: root and targets (the admins'
offline keys) and snapshot and timestamp (the online key). A new root is
signed by a threshold of the current root's keys and of its own; the request
collects both.`,
	}
	cmd.AddCommand(newRootUpdateCmd(io))
	return cmd
}

// RootUpdateOptions are the options of `tufgit root update`.
type RootUpdateOptions struct {
	RepoOptions
	AddRoot, RemoveRoot       []string
	AddTargets, RemoveTargets []string
	RootThreshold             int
	TargetsThreshold          int
	Online                    string
	Renew                     bool
	Expires                   string
	Note                      string
	AcceptRewrite             string
	RewriteBase               string
}

func newRootUpdateCmd(io *IOStreams) *cobra.Command {
	o := &RootUpdateOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "update [--add-root-key PUB] [--remove-root-key KEYID] [--root-threshold N] [--add-targets-key PUB] [--remove-targets-key KEYID] [--targets-threshold N] [--online-key PUB] [--renew] --key KEY",
		Short: "Propose the next root: rotate root, targets or online keys, or renew",
		Long: `Propose the next version of root, in one change:

  --add-root-key, --remove-root-key, --root-threshold      the root keys
  --add-targets-key, --remove-targets-key, --targets-threshold
                                                           the targets keys
  --online-key                                             the snapshot and timestamp key
  --renew                                                  nothing but a new expiry
  --accept-rewrite PUBLISHED --rewrite-base COMMIT         accept a rewritten history

Keys to remove are named by keyid or a unique prefix of at least 8 hex
digits. A threshold higher than the keys left is lowered to their number
unless given.

TUF demands that a new root be signed by a threshold of the current root's
keys and of its own; until both are met the change waits as a request, and
each admin adds a signature with 'tufgit sign'. Signers see every key added
and removed, per role, first.

Changing the targets keys re-signs targets and every index role under the
new keys in the same change (index roles are signed like targets), so the
new targets keys must sign the request too. Changing the online key makes the
next 'tufgit publish' sign snapshot and timestamp with the new key (give it
with --online-key there); tufgit.json follows when the root is applied.
Clients that update follow the new root version by version.

--accept-rewrite is the one way past the publisher's refusal of a branch
that no longer contains the commit it last published (a rollback or
rewrite; 'tufgit publish' names that commit, in full). Propose it on the new
branch, which must contain --rewrite-base, a commit of the published history
the new one restarts from; the publisher then verifies every commit after
it as a push. Role versions still never go down under the same online key:
when the new history lowers any, give --online-key too (docs/server.md).`,
		Example: `  # Rotate a compromised online key:
  tufgit root update --online-key online-2027.pub --key admin1.key
  tufgit sign admin-… --key admin2.key --yes

  # Replace a root key (both the old and the new root's thresholds sign):
  tufgit root update --add-root-key Carol=carol.pub --remove-root-key 3f9a2c1b --key admin1.key

  # Yearly renewal:
  tufgit root update --renew --key admin1.key

  # Accept a rewrite of main that publish refused (names from its error):
  tufgit root update --accept-rewrite 3f9a2c1b7d4e… --rewrite-base 9d1e0f2a --key admin1.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.Run(cmd) },
	}
	o.addFlags(cmd, true)
	f := cmd.Flags()
	f.StringArrayVar(&o.AddRoot, "add-root-key", nil, "a public key to add to root, [LABEL=]PUB: a label is signed into root (repeatable)")
	f.StringArrayVar(&o.RemoveRoot, "remove-root-key", nil, "a root key to remove: keyid, prefix or public key file (repeatable)")
	f.IntVar(&o.RootThreshold, "root-threshold", 0, "the new root threshold")
	f.StringArrayVar(&o.AddTargets, "add-targets-key", nil, "a public key to add to targets, [LABEL=]PUB (repeatable)")
	f.StringArrayVar(&o.RemoveTargets, "remove-targets-key", nil, "a targets key to remove: keyid, prefix or public key file (repeatable)")
	f.IntVar(&o.TargetsThreshold, "targets-threshold", 0, "the new targets threshold")
	f.StringVar(&o.Online, "online-key", "", "the new snapshot and timestamp public key")
	f.BoolVar(&o.Renew, "renew", false, "change nothing but the expiry")
	f.StringVar(&o.Expires, "expires", "", "how long the new root is valid (default: tufgit.json's expiry.root)")
	f.StringVar(&o.Note, "note", "", "a note for the other signers, shown as your words")
	f.StringVar(&o.AcceptRewrite, "accept-rewrite", "", "the commit last published (40 hex digits) that a rewritten branch no longer contains")
	f.StringVar(&o.RewriteBase, "rewrite-base", "", "with --accept-rewrite: the commit of the published history the rewritten branch restarts from")
	return cmd
}

// Run proposes the root.
func (o *RootUpdateOptions) Run(cmd *cobra.Command) error {
	changes := len(o.AddRoot) + len(o.RemoveRoot) + len(o.AddTargets) + len(o.RemoveTargets) + o.RootThreshold + o.TargetsThreshold
	if o.Online != "" {
		changes++
	}
	if (o.AcceptRewrite == "") != (o.RewriteBase == "") {
		return usageError("--accept-rewrite and --rewrite-base go together")
	}
	if o.AcceptRewrite != "" {
		changes++
	}
	if changes == 0 && !o.Renew {
		return usageError("nothing to change: give a key change, or --renew")
	}
	if changes > 0 && o.Renew {
		return usageError("--renew changes nothing but the expiry; leave out the key changes, or --renew")
	}
	u := repo.RootUpdate{RootThreshold: o.RootThreshold, TargetsThreshold: o.TargetsThreshold, Note: o.Note}
	var err error
	if u.RemoveRootKeys, err = keyIDRefs(cmd.Context(), o.RemoveRoot); err != nil {
		return err
	}
	if u.RemoveTargetsKeys, err = keyIDRefs(cmd.Context(), o.RemoveTargets); err != nil {
		return err
	}
	u.Labels = map[string]string{}
	if u.AddRootKeys, err = loadLabelled(cmd.Context(), "--add-root-key", o.AddRoot, u.Labels); err != nil {
		return err
	}
	if u.AddTargetsKeys, err = loadLabelled(cmd.Context(), "--add-targets-key", o.AddTargets, u.Labels); err != nil {
		return err
	}
	if o.Online != "" {
		ks, err := loadPublic(cmd.Context(), "--online-key", []string{o.Online})
		if err != nil {
			return err
		}
		u.OnlineKey = ks[0]
	}
	if o.Expires != "" {
		d, err := parseDuration(o.Expires)
		if err != nil {
			return usageError("--expires %q: %v", o.Expires, err)
		}
		if td := time.Duration(d); td < 24*time.Hour || td > 5*365*24*time.Hour {
			return usageError("--expires %s: root must be valid for 1 day to 5 years", o.Expires)
		}
		u.Expires = time.Duration(d)
	}
	return o.change(cmd, func(s *repo.Session, k *keys.Key, so repo.SubmitOptions) (*repo.Result, error) {
		u.Key, u.SubmitOptions = k, so
		if o.AcceptRewrite != "" {
			base, err := s.G.Resolve(o.RewriteBase)
			if err != nil {
				return nil, fmt.Errorf("--rewrite-base: %w", err)
			}
			if ok, err := s.G.IsAncestor(base, s.Head); err != nil || !ok {
				return nil, usageError("--rewrite-base %s is not in this branch's history: propose the rewrite on the new branch, which restarts from that commit", o.RewriteBase)
			}
			u.Rewrite = &layout.Rewrite{Abandons: o.AcceptRewrite, Base: base.String()}
			if err := u.Rewrite.Valid(); err != nil {
				return nil, usageError("--accept-rewrite: %v (give the full hash that publish names)", err)
			}
		}
		return s.UpdateRoot(u)
	})
}

// keyIDRefs turns key references that are public key files into their
// keyids; others are keyids or keyid prefixes.
func keyIDRefs(ctx context.Context, refs []string) ([]string, error) {
	out := make([]string, len(refs))
	for i, ref := range refs {
		out[i] = ref
		if _, err := os.Stat(ref); err != nil {
			continue
		}
		k, err := keys.Load(ctx, ref, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		out[i] = k.ID
	}
	return out, nil
}

// loadPublic loads public keys given on the command line.
// loadLabelled loads [LABEL=]KEY specs' public keys, collecting the labels
// given into labels by keyid.
func loadLabelled(ctx context.Context, flag string, specs []string, labels map[string]string) ([]*keys.Key, error) {
	var out []*keys.Key
	for _, spec := range specs {
		label, ref, err := splitMaintainerSpec(spec)
		if err != nil {
			return nil, usageError("%s %q: %v (give LABEL=KEY or KEY)", flag, spec, err)
		}
		ks, err := loadPublic(ctx, flag, []string{ref})
		if err != nil {
			return nil, err
		}
		if ref != spec {
			if prev, ok := labels[ks[0].ID]; ok && prev != label {
				return nil, usageError("key %s is labelled both %q and %q; give one label", ref, prev, label)
			}
			labels[ks[0].ID] = label
		}
		out = append(out, ks[0])
	}
	return out, nil
}

func loadPublic(ctx context.Context, flag string, refs []string) ([]*keys.Key, error) {
	var out []*keys.Key
	for _, ref := range refs {
		k, err := keys.Load(ctx, ref, nil)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", flag, ref, err)
		}
		out = append(out, k)
	}
	return out, nil
}
