package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/repo"
)

// RepoOptions are shared by the commands that change a repository.
type RepoOptions struct {
	IO       *IOStreams
	Repo     string
	KeyRef   string
	NoCommit bool
}

func (o *RepoOptions) addFlags(cmd *cobra.Command, needKey bool) {
	cmd.Flags().StringVar(&o.Repo, "repo", ".", "the repository's working tree")
	if needKey {
		cmd.Flags().StringVar(&o.KeyRef, "key", "", "your signing key: a key file or KMS URI (required)")
		_ = cmd.MarkFlagRequired("key")
		cmd.Flags().BoolVar(&o.NoCommit, "no-commit", false, "leave the change in the working tree instead of committing it")
	}
}

// open locks the repository and reads its head.
func (o *RepoOptions) open() (*repo.Session, error) {
	now := o.IO.Now()
	return repo.Open(o.Repo, now)
}

// key loads the signing key.
func (o *RepoOptions) key(ctx context.Context) (*keys.Key, error) {
	return keys.Load(ctx, o.KeyRef, o.IO.Passphrase())
}

// change runs one signed change: load the key, lock and open the
// repository, let do make the change, and say what it did.
func (o *RepoOptions) change(cmd *cobra.Command, do func(*repo.Session, *keys.Key, repo.SubmitOptions) (*repo.Result, error)) error {
	key, err := o.key(cmd.Context())
	if err != nil {
		return err
	}
	s, err := o.open()
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := do(s, key, repo.SubmitOptions{NoCommit: o.NoCommit})
	if err != nil {
		return err
	}
	printResult(o.IO.Out, res, o.Repo)
	return nil
}

// read runs a read-only command on the locked repository.
func (o *RepoOptions) read(do func(*repo.Session) error) error {
	s, err := o.open()
	if err != nil {
		return err
	}
	defer s.Close()
	return do(s)
}

// printResult tells what a change did, in words.
func printResult(w io.Writer, res *repo.Result, repoDir string) {
	for _, l := range res.Summary {
		fmt.Fprintf(w, "  %s\n", l)
	}
	switch {
	case res.Commit == "" || strings.Trim(res.Commit, "0") == "":
		fmt.Fprintln(w, "left in the working tree, not committed (--no-commit)")
	case res.Applied:
		fmt.Fprintf(w, "applied and committed as %s\n", res.Commit[:12])
	default:
		fmt.Fprintf(w, "committed as %s; waiting for signatures in request %s:\n", res.Commit[:12], res.RequestID)
	}
	if !res.Applied {
		for _, r := range res.Signed {
			state := "complete"
			if !r.Met {
				state = fmt.Sprintf("needs %d more (from %s)", r.Threshold-len(r.Signed), shortIDs(r.Missing))
			}
			fmt.Fprintf(w, "    %s v%d: %d of %d, %s\n", r.Role, r.Version, len(r.Signed), r.Threshold, state)
		}
		if res.RequestID != "" {
			fmt.Fprintf(w, "next: push, and ask the missing signers to run `tufgit sign %s --key THEIR-KEY`\n", res.RequestID)
		}
	}
}

// maintainerSpec reads "[NAME=]PUBKEY": the label defaults to the key
// file's name without extension.
func maintainerSpec(ctx context.Context, spec string) (repo.NewMaintainer, error) {
	name, path, ok := strings.Cut(spec, "=")
	if !ok || strings.Contains(name, "://") {
		path, name = spec, strings.TrimSuffix(filepath.Base(spec), filepath.Ext(spec))
	}
	k, err := keys.Load(ctx, path, nil)
	if err != nil {
		return repo.NewMaintainer{}, fmt.Errorf("maintainer %s: %w (give a public key file)", spec, err)
	}
	return repo.NewMaintainer{Name: name, Key: k}, nil
}
