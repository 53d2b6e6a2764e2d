package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// BuildInfo is what `tufgit version` reports, from the Go build info
// embedded in the binary.
type BuildInfo struct {
	Module    string `json:"module"`
	Version   string `json:"version"`            // the module version, "(devel)" for a build from a checkout
	Revision  string `json:"revision,omitempty"` // the git commit it was built from
	Time      string `json:"time,omitempty"`     // that commit's time
	Modified  bool   `json:"modified"`           // built from a working tree with local changes
	GoVersion string `json:"go_version"`
	CGO       bool   `json:"cgo"` // false: pkcs11: keys are refused
	Platform  string `json:"platform"`
}

// ReadBuildInfo reads the running binary's build info.
func ReadBuildInfo() BuildInfo {
	b := BuildInfo{Module: "github.com/tufgit/tufgit", Version: "(unknown)", GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if bi.Main.Path != "" {
		b.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		b.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		case "CGO_ENABLED":
			b.CGO = s.Value == "1"
		}
	}
	return b
}

// Short is the one line `tufgit --version` prints.
func (b BuildInfo) Short() string {
	s := "tufgit " + b.Version
	if b.Revision != "" {
		rev := b.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		s += " (" + rev
		if b.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s + ", " + b.GoVersion
}

// VersionOptions are the options of `tufgit version`.
type VersionOptions struct {
	IO   *IOStreams
	JSON bool
}

func newVersionCmd(io *IOStreams) *cobra.Command {
	o := &VersionOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "version [--json]",
		Short: "Print tufgit's version and build information",
		Long: `Print the module version tufgit was built as, the git revision and time it
was built from (and whether the tree had local changes), the Go version,
whether cgo was on (without it pkcs11: keys are refused) and the platform.
A binary built from a checkout reports version (devel); go install
module@version reports that version.

` + "`tufgit --version`" + ` prints the first line only.`,
		Example: "  tufgit version\n  tufgit version --json\n  tufgit --version",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return o.Run() },
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON: module, version, revision, time, modified, go_version, cgo, platform")
	return cmd
}

// Run prints the version.
func (o *VersionOptions) Run() error {
	b := ReadBuildInfo()
	if o.JSON {
		return writeJSON(o.IO.Out, b)
	}
	w := o.IO.Out
	fmt.Fprintf(w, "tufgit %s\n", b.Version)
	fmt.Fprintf(w, "  module    %s\n", b.Module)
	if b.Revision != "" {
		mod := ""
		if b.Modified {
			mod = " (with local changes)"
		}
		fmt.Fprintf(w, "  revision  %s%s\n", b.Revision, mod)
	}
	if b.Time != "" {
		fmt.Fprintf(w, "  time      %s\n", b.Time)
	}
	fmt.Fprintf(w, "  go        %s\n", b.GoVersion)
	cgo := "off (pkcs11: keys are refused)"
	if b.CGO {
		cgo = "on"
	}
	fmt.Fprintf(w, "  cgo       %s\n", cgo)
	fmt.Fprintf(w, "  platform  %s\n", b.Platform)
	return nil
}
