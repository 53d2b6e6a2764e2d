package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/repo"
)

// ReshardOptions are the options of `tufgit reshard`.
type ReshardOptions struct {
	RepoOptions
	Shards int
	Keys   []string
	Note   string
}

func newReshardCmd(io *IOStreams) *cobra.Command {
	o := &ReshardOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "reshard --shards K --key ADMIN-KEY [--key ADMIN-KEY…]",
		Short: "Raise the number of hash shards, as one admin ceremony",
		Long: `Raise the repository's number of hash shards to K (a power of two, more than
today's; docs/sharding.md): every shard of the new count gets its own index
roles, each project delegated from its new shard's index with exactly the
keys, threshold and paths it had; the old index roles go; tufgit.json and the
shard map say the new count; targets.json is re-signed listing the new map.
No project role, name or signature changes.

A reshard re-signs targets and every index role at once, so it is one
ceremony: give every admin key needed to meet the targets threshold (--key
once for each). Nothing is written unless the whole change is signed and
verifies. Open requests block it (their index roles would not survive):
sign, withdraw or prune them first.

The new shards are published under their own directory (sBITS/SHARD/), so no
client mixes them with the old ones. tufgit's client follows the new map by
itself; a standard client pinned to a shard's URL needs the new one from
'tufgit shard'. From one shard, the mirror's top level stops listing the old
index, which clients accept only from a new snapshot key: rotate the online
key ('tufgit root update --online-key NEW.pub') before the next publish.`,
		Example: `  # From 64 to 1024 shards, two of three admins at the ceremony
  tufgit reshard --shards 1024 --key admin1.key --key admin2.key

  # From one shard to 16, then a new online key, then publish
  tufgit reshard --shards 16 --key admin.key
  tufgit root update --online-key online2.pub --key admin.key
  tufgit publish --online-key online2.key --mirror /srv/mirror`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Shards == 0 {
				return usageError("--shards K is required")
			}
			if len(o.Keys) == 0 {
				return usageError("no admin key: give --key ADMIN-KEY (once per admin at the ceremony)")
			}
			if _, err := repo.ShardBits(o.Shards); err != nil {
				return usageError("--shards: %v", err)
			}
			return o.Run(cmd)
		},
	}
	cmd.Flags().StringVar(&o.Repo, "repo", "", repoFlagHelp)
	cmd.Flags().BoolVar(&o.NoCommit, "no-commit", false, "leave the change in the working tree instead of committing it")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&o.Shards, "shards", 0, "the new number of hash shards, a power of two up to 4096")
	cmd.Flags().StringArrayVar(&o.Keys, "key", nil, "an admin's private key (a key file, KMS URI, pkcs11: URI or ssh-agent:SHA256:...); repeat for each admin")
	cmd.Flags().StringVar(&o.Note, "note", "", "a note for the commit message")
	return cmd
}

// Run reshards.
func (o *ReshardOptions) Run(cmd *cobra.Command) error {
	ctx := cmd.Context()
	var ks []*keys.Key
	for _, ref := range o.Keys {
		k, err := keys.Load(ctx, ref, o.IO.Passphrase())
		if err != nil {
			return err
		}
		if !k.CanSign() {
			return publicKeyError(ref)
		}
		ks = append(ks, k)
	}
	s, err := o.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.Reshard(repo.ReshardOptions{Shards: o.Shards, Keys: ks, Note: o.Note, SubmitOptions: repo.SubmitOptions{NoCommit: o.NoCommit}})
	if err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(o.IO.Out, res)
	}
	fmt.Fprintf(o.IO.Out, "resharded: %d → %d hash shards\n  %d projects moved to their shard's index; %d index roles written, %d removed\n  no project role changed\n",
		res.FromShards, res.ToShards, res.Projects, res.IndexRoles, res.Removed)
	if res.Commit != "" {
		fmt.Fprintf(o.IO.Out, "  commit %s\n", res.Commit[:12])
	}
	if res.FromShards == 1 {
		fmt.Fprintln(o.IO.Out, "next: rotate the online key (tufgit root update --online-key NEW.pub) before publishing: clients accept the smaller top-level snapshot only from a new key")
	}
	return nil
}
