package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/webui"
	"github.com/tufgit/tufgit/pkg/webui/gitsite"
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
	IO          *IOStreams
	Metadata    string
	Out         string
	Repo        string
	Rev         string
	TargetsURL  string
	MetadataURL string
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
file:// or from any web server.

With --repo (a tufgit repository, working tree or bare), the pages also show
what git knows: the repository's name, project display names and maintainer
names, when each release appeared, each project's history, and the pending
signature requests. 'tufgit publish' does this itself for the mirror's ui/.

OUT/manifest.json remembers what was built: a second build into the same OUT
checks again only the signatures of files that changed and rewrites only the
pages whose inputs changed.`,
		Example: `  tufgit ui build --metadata mirror/metadata --out mirror/ui
  tufgit ui build --metadata mirror/metadata --out mirror/ui --repo .
  tufgit ui build --metadata https://packages.example.org/tuf/metadata --out /tmp/ui \
      --targets-url https://packages.example.org/tuf/targets/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.Run() },
	}
	cmd.Flags().StringVar(&o.Metadata, "metadata", "", "the repository's metadata directory or URL (required)")
	cmd.Flags().StringVar(&o.Out, "out", "", "where to write the pages (required)")
	cmd.Flags().StringVar(&o.Repo, "repo", "", "a tufgit repository to read names, dates, history and pending requests from")
	cmd.Flags().StringVar(&o.Rev, "rev", "HEAD", "with --repo, the commit to read")
	cmd.Flags().StringVar(&o.TargetsURL, "targets-url", "", "where the mirror serves target files, for download links (default ../targets/, the pages in the mirror's ui/)")
	cmd.Flags().StringVar(&o.MetadataURL, "metadata-url", "", "where the mirror serves metadata, for download instructions (default ../metadata/)")
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
	m := &webui.Manifest{}
	if data, err := os.ReadFile(filepath.Join(o.Out, webui.ManifestName)); err == nil {
		if prev := webui.ParseManifest(data); prev != nil {
			m = prev
		}
	}
	repo, err := webui.LoadCached(src, now, m)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Metadata, err)
	}
	site := &webui.Site{}
	if o.Repo != "" {
		g, err := openGit(o.Repo)
		if err != nil {
			return err
		}
		rev, err := g.Resolve(o.Rev)
		if err != nil {
			return err
		}
		if site, err = gitsite.Collect(g, rev, now, m.Site); err != nil {
			return fmt.Errorf("--repo %s: %w", o.Repo, err)
		}
	}
	site.TargetsURL, site.MetadataURL = o.TargetsURL, o.MetadataURL
	n := 0
	w := webui.DirWriter(o.Out)
	count := func(name string, data []byte) error { n++; return w(name, data) }
	if err := webui.Build(repo, count, webui.Options{Site: site, Manifest: m}); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.Out, "wrote %d files to %s (%d roles, %d signature checks); open %s/index.html\n", n, o.Out, len(repo.Delegated)+4, repo.Checked, o.Out)
	return nil
}
