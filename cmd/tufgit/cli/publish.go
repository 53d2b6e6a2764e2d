package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/publish"
	"github.com/tufgit/tufgit/pkg/webui"
	"github.com/tufgit/tufgit/pkg/webui/gitsite"
)

// PublishOptions are the options of `tufgit publish`.
type PublishOptions struct {
	IO        *IOStreams
	Repo      string
	Rev       string
	OnlineKey string
	Mirror    string
	Refresh   bool
	NoUI      bool
	JSON      bool
	Shared    string
}

func newPublishCmd(io *IOStreams) *cobra.Command {
	o := &PublishOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "publish [REV] --online-key K --mirror DEST [--refresh]",
		Short: "Sign snapshot and timestamp online and write the static mirror",
		Long: `Publish REV (default HEAD) to a static TUF mirror that any standard client can
read. It refuses a commit that does not verify (incrementally from the last
published commit, or in full). It signs a new snapshot, when any role changed,
and a new timestamp with the online key, which root must list for snapshot and
timestamp and for nothing else.

It never signs history the hook did not see: it refuses, with exit 14, a REV
that does not descend from the commit it last published (a branch rolled back
or rewritten on the server), and a snapshot that would lower a role's version
or drop a role, judged against its record and the snapshot the mirror serves.
No flag skips either: only a root signed by the admins that names the rewrite
(tufgit root update --accept-rewrite) lets a rewritten branch through, and only
a new online key lets versions go down (docs/server.md#rewritten-history).
REV names one ref: a short name two refs carry is refused, naming both.

The mirror layout is fixed (consistent snapshots):
  DEST/metadata/N.root.json            every root version (and root.json)
  DEST/metadata/N.ROLE.json            targets, index and project roles
  DEST/metadata/N.snapshot.json
  DEST/metadata/timestamp.json         written last
  DEST/targets/PROJECT/VERSION/HASH.FILENAME   once per listed hash

DEST is a directory or an s3://, gs://, azblob://, file:// URL. Target files and
versioned metadata are written before snapshot, and timestamp last, each
atomically, so a client reading during a publish sees a consistent repository.

The web UI (see 'tufgit ui build') is written under DEST/ui/ unless --no-ui.

Re-running with nothing changed writes nothing. --refresh (for cron) re-signs
the timestamp, and the snapshot, once less than half their validity is left.
Versions never go back: they continue from the larger of the publisher's own
record (refs/tufgit/published in the repository) and the timestamp the mirror
serves. Two publishes of one repository take turns (a lock).

Two publishers (the server's hook, a standby host with a clone) coordinate
through refs/tufgit/published in the server's repository, moved only by git's
compare-and-swap: each claims its snapshot and timestamp versions there before
writing them, so no version is ever written twice. On the server nothing is
needed; a clone names the server's repository with --shared (a remote name or
URL). A publisher that loses a claim reads the record again and retries; one
whose commit another publisher already published in a newer one stands down
("up to date"); a claim whose writes never reached the mirror holds others off
for at most 30 seconds (docs/server.md#two-publishers).`,
		Example: `  tufgit publish --online-key online.key --mirror /srv/www/tuf
  tufgit publish --repo /srv/git/packages.git refs/heads/main --online-key awskms:///alias/tufgit-online --mirror s3://tuf-mirror
  # cron, every hour:
  tufgit publish --refresh --repo /srv/git/packages.git --online-key awskms:///alias/tufgit-online --mirror s3://tuf-mirror`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Rev = "HEAD"
			if len(args) == 1 {
				o.Rev = args[0]
			}
			return o.Run(cmd)
		},
	}
	cmd.Flags().StringVar(&o.Repo, "repo", "", "the repository, a working tree or a bare one (default: the one the current directory is in, found upward as git does)")
	cmd.Flags().StringVar(&o.OnlineKey, "online-key", "", "the online key: a key file or KMS URI (default: git config tufgit.onlineKey, as 'tufgit hook install' writes it)")
	cmd.Flags().StringVar(&o.Mirror, "mirror", "", "where to publish: a directory or an object store URL (default: git config tufgit.publishTo)")
	cmd.Flags().BoolVar(&o.Refresh, "refresh", false, "also re-sign timestamp and snapshot when they near expiry")
	cmd.Flags().BoolVar(&o.NoUI, "no-ui", false, "do not write the web UI under DEST/ui/")
	cmd.Flags().StringVar(&o.Shared, "shared", "", "coordinate with other publishers through refs/tufgit/published in this repository, a git remote name or URL (default: git config tufgit.publishShared; none: this repository)")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON: commit, mirror, up_to_date, full, snapshot_version, timestamp_version, written, ui")
	return cmd
}

// PublishJSON is what `tufgit publish --json` prints.
type PublishJSON struct {
	Commit    string   `json:"commit"`     // the commit published
	Mirror    string   `json:"mirror"`     // where
	UpToDate  bool     `json:"up_to_date"` // nothing was written
	Full      bool     `json:"full"`       // the whole repository was (re)written
	Snapshot  int64    `json:"snapshot_version"`
	Timestamp int64    `json:"timestamp_version"`
	Written   []string `json:"written"` // the files written, in order
	UI        string   `json:"ui,omitempty"`
	Shards    int      `json:"shards,omitempty"` // shards re-signed, in a sharded repository
	// SupersededBy: another publisher already published this newer
	// commit, which contains commit; nothing was written.
	SupersededBy string `json:"superseded_by,omitempty"`
	Tries        int    `json:"tries"` // records read: more than 1 after a claim lost to another publisher
}

// Run publishes.
func (o *PublishOptions) Run(cmd *cobra.Command) error {
	ctx := cmd.Context()
	g, err := openGit(o.Repo)
	if err != nil {
		return err
	}
	rev, err := g.Resolve(o.Rev)
	if err != nil {
		return err
	}
	// In the server's repository, `tufgit hook install` recorded where and
	// with which key to publish; a flag overrides it.
	for _, d := range []struct {
		v    *string
		key  string
		flag string
	}{{&o.OnlineKey, "onlineKey", "--online-key"}, {&o.Mirror, "publishTo", "--mirror"}} {
		if *d.v != "" {
			continue
		}
		if v, err := g.ConfigValue("tufgit", d.key); err == nil && v != "" {
			*d.v = v
			continue
		}
		return usageError("%s is required: give it, or set git config tufgit.%s (`tufgit hook install --publish-to DEST --online-key KEY` does)", d.flag, d.key)
	}
	now := o.IO.Now()
	key, err := publish.LoadOnlineKey(ctx, o.OnlineKey, o.IO.Passphrase())
	if err != nil {
		return err
	}
	m, err := publish.OpenMirror(ctx, o.Mirror)
	if err != nil {
		return err
	}
	defer m.Close()
	var mirror publish.Mirror = m
	if o.IO.WrapMirror != nil {
		mirror = o.IO.WrapMirror(m)
	}
	opts := publish.Options{Repo: g, Rev: rev, Key: key, Mirror: mirror, Now: now, Refresh: o.Refresh, UI: !o.NoUI,
		Progress: newProgress(o.IO, o.JSON).callback(),
		UISite:   func(prev *webui.SiteMemo) (*webui.Site, error) { return gitsite.Collect(g, rev, now, prev) }}
	if o.Shared == "" {
		if v, err := g.ConfigValue("tufgit", "publishShared"); err == nil {
			o.Shared = v
		}
	}
	if o.Shared != "" {
		opts.Shared = publish.RemoteShared(g, o.Shared)
	}
	store, err := openStoreAt(ctx, g, rev)
	if err != nil {
		return err
	}
	if store != nil {
		defer store.Close()
		opts.Store = store
	}
	res, err := publish.Publish(ctx, opts)
	if err != nil {
		return err
	}
	if o.JSON {
		j := PublishJSON{Commit: rev.String(), Mirror: m.String(), UpToDate: res.UpToDate, Full: res.Full,
			Snapshot: res.Snapshot, Timestamp: res.Timestamp, Written: res.Written, Shards: res.Shards,
			SupersededBy: res.SupersededBy, Tries: res.Tries}
		if j.Written == nil {
			j.Written = []string{}
		}
		if !o.NoUI && (!res.UpToDate || res.UIWritten > 0) {
			j.UI = m.String() + "/ui/index.html"
		}
		return writeJSON(o.IO.Out, j)
	}
	w := o.IO.Out
	if res.SupersededBy != "" {
		fmt.Fprintf(w, "up to date: %s is already published, in %s (snapshot v%d, timestamp v%d), by this or another publisher; nothing written\n", rev.String()[:12], res.SupersededBy[:12], res.Snapshot, res.Timestamp)
		return nil
	}
	if res.Tries > 1 {
		fmt.Fprintf(w, "another publisher claimed the versions first %d time(s); read its record again\n", res.Tries-1)
	}
	if res.UpToDate && res.UIWritten > 0 {
		fmt.Fprintf(w, "up to date: %s already publishes the metadata of %s (snapshot v%d, timestamp v%d); web UI updated (requests or other git-only changes): %s/ui/index.html\n", m, rev.String()[:12], res.Snapshot, res.Timestamp, m)
		return nil
	}
	if res.UpToDate {
		fmt.Fprintf(w, "up to date: %s already publishes %s (snapshot v%d, timestamp v%d); nothing written\n", m, rev.String()[:12], res.Snapshot, res.Timestamp)
		return nil
	}
	how := "incremental"
	if res.Full {
		how = "full"
	}
	fmt.Fprintf(w, "published %s to %s (%s): snapshot v%d, timestamp v%d, %d file(s) written\n", rev.String()[:12], m, how, res.Snapshot, res.Timestamp, len(res.Written))
	if res.Shards > 0 {
		fmt.Fprintf(w, "shards re-signed: %d\n", res.Shards)
	}
	if !o.NoUI {
		fmt.Fprintf(w, "web UI: %s/ui/index.html\n", m)
	}
	return nil
}
