package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/webui"
)

func newUICmd(io *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Static web pages for any TUF repository",
		Long: `Static HTML pages showing a TUF repository: an index at a glance, one page per
metadata file, the root history, and (for tufgit repositories) projects and
releases. They work for any TUF repository, need no JavaScript, and load no
external assets.`,
	}
	cmd.AddCommand(newUIBuildCmd(io))
	return cmd
}

// UIBuildOptions are the options of `tufgit ui build`.
type UIBuildOptions struct {
	IO       *IOStreams
	Metadata string
	Out      string
}

func newUIBuildCmd(io *IOStreams) *cobra.Command {
	o := &UIBuildOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "build --metadata DIR|URL --out DIR",
		Short: "Render the pages of a TUF repository",
		Long: `Render static pages for the TUF repository whose metadata is in DIR or at URL
(the directory holding root.json or 1.root.json, timestamp.json, …). Every
signature's validity is computed from the metadata itself with go-tuf; all
strings from the metadata are escaped. Open OUT/index.html in a browser, from
file:// or from any web server.`,
		Example: `  tufgit ui build --metadata mirror/metadata --out mirror/ui
  tufgit ui build --metadata https://packages.example.org/tuf/metadata --out /tmp/ui`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.Run() },
	}
	cmd.Flags().StringVar(&o.Metadata, "metadata", "", "the repository's metadata directory or URL (required)")
	cmd.Flags().StringVar(&o.Out, "out", "", "where to write the pages (required)")
	_ = cmd.MarkFlagRequired("metadata")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// Run builds the pages.
func (o *UIBuildOptions) Run() error {
	now := o.IO.Now()
	var src webui.Source = webui.DirSource(o.Metadata)
	if strings.HasPrefix(o.Metadata, "http://") || strings.HasPrefix(o.Metadata, "https://") {
		src = webui.URLSource{Base: o.Metadata}
	}
	repo, err := webui.Load(src, now)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Metadata, err)
	}
	n := 0
	w := webui.DirWriter(o.Out)
	count := func(name string, data []byte) error { n++; return w(name, data) }
	if err := webui.Build(repo, count, webui.Options{}); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.Out, "wrote %d files to %s (%d roles); open %s/index.html\n", n, o.Out, len(repo.Delegated)+4, o.Out)
	return nil
}
