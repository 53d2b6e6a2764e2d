package client_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tufgit/tufgit/pkg/client"
)

// exampleRepository serves a TUF repository on 127.0.0.1 (any TUF
// repository; this one is not in tufgit's layout): top-level targets
// delegates docs/* to the role "docs".
func exampleRepository(e *exampleTB) *tufRepo {
	r := newTUFRepo(e, true)
	r.delegate("targets", "docs", []string{"docs/*"}, false)
	r.addTarget("docs", "docs/readme.txt", []byte("hello from a TUF repository\n"))
	r.addTarget("targets", "tools/installer.sh", []byte("#!/bin/sh\necho installed\n"), "sha512")
	r.publish()
	return r
}

// A Go program uses pkg/client as a general TUF client: metadata and
// targets under URLs of their own, any target path, tufgit's size limits,
// fetcher, directory lock and atomic writes.
func Example() {
	e := &exampleTB{}
	defer e.Close()
	repo := exampleRepository(e)
	metadataURL, targetsURL := repo.url+"/metadata", repo.url+"/targets"
	root := repo.rootRaw // the first root, from a channel you trust

	dir := filepath.Join(e.TempDir(), "client") // trusted metadata and the target cache
	c, err := client.New(dir, client.Config{MetadataURL: metadataURL, TargetsURL: targetsURL}, root)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Root rotations, timestamp, snapshot, targets.
	if err := c.Refresh(); err != nil {
		fmt.Println(err)
		return
	}
	// The delegation walk finds the target in the role "docs".
	tf, err := c.Target("docs/readme.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("length", tf.Length)

	out := filepath.Join(e.TempDir(), "readme.txt")
	res, err := c.DownloadTarget("docs/readme.txt", out)
	if err != nil {
		fmt.Println(err)
		return
	}
	data, _ := os.ReadFile(res.Path)
	fmt.Printf("from role %s: %s", res.Role, data)

	// Again: the file already holds these bytes, so it is left alone.
	res, _ = c.DownloadTarget("docs/readme.txt", out)
	fmt.Println("unchanged:", res.Unchanged)

	// A target listed with sha512 only.
	res, err = c.DownloadTarget("tools/installer.sh", filepath.Join(e.TempDir(), "installer.sh"))
	fmt.Println("installer from", res.Role, err)

	_, err = c.Target("docs/missing.txt")
	fmt.Println(errors.Is(err, client.ErrTargetNotFound))
	// Output:
	// length 28
	// from role docs: hello from a TUF repository
	// unchanged: true
	// installer from targets <nil>
	// true
}

// PinConfig keeps the URLs in the client directory, so that later
// programs only Open it.
func ExamplePinConfig() {
	e := &exampleTB{}
	defer e.Close()
	repo := exampleRepository(e)
	dir := filepath.Join(e.TempDir(), "client")
	cfg := client.Config{MetadataURL: repo.url + "/metadata", TargetsURL: repo.url + "/targets"}
	if _, err := client.PinConfig(dir, cfg, repo.rootRaw, false); err != nil {
		fmt.Println(err)
		return
	}

	// Later, in another process:
	c, err := client.Open(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := c.DownloadTarget("docs/readme.txt", filepath.Join(e.TempDir(), "readme.txt"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Target.Length, res.Cached)
	// Output:
	// 28 false
}

// A tufgit mirror serves metadata under MIRROR/metadata and targets under
// MIRROR/targets: Init (or Config{Mirror: ...}) takes the one URL, and
// Releases and Download speak in projects and versions.
func ExampleClient_Download() {
	e := &exampleTB{}
	defer e.Close()
	repo := newTUFRepo(e, true)
	repo.delegate("targets", "hello", []string{"hello/*/*"}, true)
	repo.addTarget("hello", "hello/1.0.0/hello-1.0.0.tar.gz", []byte("release one"))
	repo.addTarget("hello", "hello/1.1.0/hello-1.1.0.tar.gz", []byte("release two"))
	repo.publish()

	dir := filepath.Join(e.TempDir(), "client")
	if err := client.Init(dir, repo.url, repo.rootRaw); err != nil {
		fmt.Println(err)
		return
	}
	c, err := client.Open(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	rels, _ := c.Releases("hello")
	for _, r := range rels {
		fmt.Println(r.Version, r.Files[0].Name)
	}
	res, err := c.Download("hello", "latest", filepath.Join(e.TempDir(), "out"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("downloaded", res.Release.Version, filepath.Base(res.Files[0]))
	// Output:
	// 1.0.0 hello-1.0.0.tar.gz
	// 1.1.0 hello-1.1.0.tar.gz
	// downloaded 1.1.0 hello-1.1.0.tar.gz
}
