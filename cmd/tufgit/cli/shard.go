package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/client"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
)

// ShardOptions are the options of `tufgit shard`.
type ShardOptions struct {
	ClientOptions
	Project string
	Mirror  string
	Root    string
	Repo    string
	JSON    bool
}

func newShardCmd(io *IOStreams) *cobra.Command {
	o := &ShardOptions{ClientOptions: ClientOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "shard NAME [--mirror URL [--root ROOT.json]] [--json]",
		Short: "Say which hash shard serves a project, and its metadata and targets URLs",
		Long: `Say which hash shard of a sharded repository (tufgit init --shards K) serves a
project, and where that shard's TUF metadata and the repository's targets are:
what a standard TUF client (python-tuf, go-tuf, tuf-js) needs, with the
repository's root.json, to download the project's releases unmodified. See
docs/sharding.md for each client's few lines.

With --mirror, the shard map is read from the mirror the way the downloader
reads it: from the targets role, verified from the trusted root. The root is
--root's, or the client's (tufgit client init) when its mirror is that URL.
Without --mirror, the shard comes from the configured client's mirror or,
with --repo (or inside a tufgit repository), from the repository's
tufgit.json, without URLs.

A repository without shards has one: the shard is "" and the URLs are the
mirror's own metadata/ and targets/.`,
		Example: `  # Which shard, and the URLs a standard client needs
  tufgit shard hello --mirror https://example.org/repo --root root.json

  # As JSON: {"project", "shard", "shards", "metadata_url", "targets_url"}
  tufgit shard hello --json

  # From the repository, offline
  tufgit shard hello --repo ./repo.git`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Project = args[0]
			if o.Root != "" && o.Mirror == "" {
				return usageError("--root needs --mirror: it is the root the mirror's metadata is checked against")
			}
			if o.Repo != "" && o.Mirror != "" {
				return usageError("give --repo or --mirror, not both")
			}
			return o.Run(cmd.Context())
		},
	}
	o.addFlags(cmd)
	cmd.Flags().StringVar(&o.Mirror, "mirror", "", "the mirror's base URL")
	cmd.Flags().StringVar(&o.Root, "root", "", "with --mirror: the repository's trusted root.json (default: the client's, when it trusts that mirror)")
	cmd.Flags().StringVar(&o.Repo, "repo", "", "read the shard count from this repository instead of a mirror")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON")
	return cmd
}

// Run prints the shard.
func (o *ShardOptions) Run(ctx context.Context) error {
	name, err := layout.NormalizeProjectName(o.Project)
	if err != nil {
		return fmt.Errorf("project %q: %w", o.Project, err)
	}
	info, err := o.lookup(ctx, name)
	if err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(o.IO.Out, info)
	}
	shard := info.Shard
	if shard == "" {
		shard = `"" (the repository has one shard)`
	}
	fmt.Fprintf(o.IO.Out, "project       %s\nshard         %s of %d\n", info.Project, shard, info.Shards)
	if info.MetadataURL != "" {
		fmt.Fprintf(o.IO.Out, "metadata URL  %s\ntargets URL   %s\n", info.MetadataURL, info.TargetsURL)
	}
	return nil
}

func (o *ShardOptions) lookup(ctx context.Context, name string) (*client.ShardInfo, error) {
	if o.Repo != "" {
		return o.fromRepository(ctx, name)
	}
	if o.Mirror != "" && o.Root != "" {
		root, err := readBounded(o.Root, client.MaxRoot)
		if err != nil {
			return nil, fmt.Errorf("--root: %w", err)
		}
		dir, err := os.MkdirTemp("", "tufgit-shard-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		c, err := client.New(dir, client.Config{Mirror: o.Mirror}, root)
		if err != nil {
			return nil, err
		}
		return c.Shard(name)
	}
	c, err := o.open()
	if err != nil {
		if o.Mirror == "" {
			// No client: perhaps we are inside the repository.
			if info, rerr := o.fromRepository(ctx, name); rerr == nil {
				return info, nil
			}
		}
		return nil, err
	}
	if o.Mirror != "" && strings.TrimSuffix(c.Config.Mirror, "/") != strings.TrimSuffix(o.Mirror, "/") {
		return nil, fmt.Errorf("the client in %s trusts another repository's root, not %s's: pass that mirror's root with --root ROOT.json", c.Dir, o.Mirror)
	}
	return c.Shard(name)
}

// fromRepository reads the shard count from the repository's tufgit.json
// at its head: the shard, without URLs.
func (o *ShardOptions) fromRepository(ctx context.Context, name string) (*client.ShardInfo, error) {
	ro := RepoOptions{IO: o.IO, Repo: o.Repo}
	var bits int
	if err := ro.read(ctx, func(s *repo.Session) error { bits = s.Config.Index.ShardBits; return nil }); err != nil {
		return nil, err
	}
	return &client.ShardInfo{Project: name, Shard: layout.ShardName(layout.ShardOf(name, bits), bits), Shards: 1 << bits}, nil
}
