package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
)

// RenewOptions are the options of `tufgit renew`.
type RenewOptions struct {
	RepoOptions
	Roles   []string
	Expires string
	Note    string
}

func newRenewCmd(io *IOStreams) *cobra.Command {
	o := &RenewOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "renew ROLE... --key KEY [--expires DURATION]",
		Short: "Give roles a new version and expiry, and nothing else",
		Long: `Renew roles before they expire: each gets its version plus one and a new
expiry, and nothing else changes. ROLE is

  targets        the top-level targets role (the admins sign)
  index          every index role, in one change (the admins sign)
  idx_P          one index role
  NAME           a project's role (its maintainers sign); a project named
                 index is renewed by another spelling, e.g. Index

Several ROLEs make one change. The expiry comes from tufgit.json's expiry for
each role's kind, or from --expires (e.g. 365d, 90d, 1d12h), within tufgit's
bounds for offline roles (1 day to 5 years).

When your key meets every threshold the renewal is committed at once;
otherwise it waits as a request of kind renew. Co-signers are shown
"ROLE: renews expiry only: no other change (expires OLD → NEW)", and verify
(so the pre-receive hook) refuses a renew request that changes anything but
version and expiry.

root is renewed through 'tufgit root update --renew', which counts both the
old and the new root keys; snapshot and timestamp are re-signed online by
'tufgit publish --refresh'. 'tufgit status' says what expires when.`,
		Example: `  # The yearly renewal of the admins' roles, signed with an admin key
  tufgit renew targets index --key admin1.key

  # A project's maintainer renews its role for two years
  tufgit renew hello --expires 730d --key alice.key

  # Without the private key at hand: file a request for the others to sign
  tufgit renew targets index --key admin1.pub`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Roles = args
			return o.Run(cmd)
		},
	}
	o.addFlags(cmd, true)
	cmd.Flags().StringVar(&o.Expires, "expires", "", "how long the renewed roles stay valid (e.g. 365d); default: tufgit.json's expiry per role kind")
	cmd.Flags().StringVar(&o.Note, "note", "", "a note for your co-signers, shown as yours")
	return cmd
}

// Run renews the roles.
func (o *RenewOptions) Run(cmd *cobra.Command) error {
	var d time.Duration
	if o.Expires != "" {
		v, err := parseDuration(o.Expires)
		if err != nil {
			return usageError("--expires: %v", err)
		}
		d = time.Duration(v)
		if d < layout.MinOfflineExpiry || d > layout.MaxOfflineExpiry {
			return &exitError{code: ExitUsage,
				err:  fmt.Errorf("--expires %s is outside %s … %s, tufgit's bounds for offline roles (verify and the hook refuse a role signed for longer)", o.Expires, layout.Duration(layout.MinOfflineExpiry), layout.Duration(layout.MaxOfflineExpiry)),
				hint: "give --expires between 1d and 1825d (5 years), or leave it out for tufgit.json's expiry"}
		}
	}
	// Refuse what renew never does before asking for a passphrase.
	for _, r := range o.Roles {
		switch r {
		case layout.RoleRoot:
			return &exitError{code: ExitUsage, err: errors.New("renew root: root is not renewed with `tufgit renew`"),
				hint: "`tufgit root update --renew --key ROOT-KEY` renews root, counted against the old and the new root keys"}
		case layout.RoleSnapshot, layout.RoleTimestamp:
			return &exitError{code: ExitUsage, err: errors.New("renew " + r + ": " + r + " is signed online, not with `tufgit renew`"),
				hint: "`tufgit publish --refresh` re-signs snapshot and timestamp once less than half their validity is left"}
		}
	}
	return o.change(cmd, func(s *repo.Session, key *keys.Key, so repo.SubmitOptions) (*repo.Result, error) {
		return s.Renew(repo.RenewOptions{Roles: o.Roles, Expires: d, Key: key, Note: o.Note, SubmitOptions: so})
	})
}
