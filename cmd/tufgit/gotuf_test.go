package main

import (
	"bytes"
	"os"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"
)

func init() { backendCmds["gotuf-download"] = cmdGoTUFDownload }

// gotuf-download MIRROR ROOT TARGET WANT [STATE-DIR]: go-tuf's updater,
// with its default settings, downloads TARGET from the mirror at URL
// MIRROR (or the shard a `tufgit shard --json` file names) trusting ROOT
// (or, with STATE-DIR, the metadata a previous run left there), and the
// bytes must equal file WANT. Negated, the download must fail.
func cmdGoTUFDownload(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 && len(args) != 5 {
		ts.Fatalf("usage: gotuf-download MIRROR-URL ROOT TARGET WANT [STATE-DIR]")
	}
	metaURL, targetsURL := interopURLs(ts, args[0])
	md, td := clientDirs(ts, args, "gotuf")
	got, err := func() ([]byte, error) {
		root, err := os.ReadFile(md + "/root.json")
		if err != nil {
			return nil, err
		}
		cfg, err := config.New(metaURL, root)
		if err != nil {
			return nil, err
		}
		cfg.LocalMetadataDir, cfg.LocalTargetsDir = md, td
		cfg.RemoteTargetsURL = targetsURL
		up, err := updater.New(cfg)
		if err != nil {
			return nil, err
		}
		if err := up.Refresh(); err != nil {
			return nil, err
		}
		ti, err := up.GetTargetInfo(args[2])
		if err != nil {
			return nil, err
		}
		_, data, err := up.DownloadTarget(ti, "", "")
		return data, err
	}()
	ts.Logf("go-tuf: %v", err)
	if neg {
		if err == nil {
			ts.Fatalf("go-tuf accepted %s", args[2])
		}
		return
	}
	if err != nil {
		ts.Fatalf("go-tuf could not download %s: %v", args[2], err)
	}
	want, err := os.ReadFile(ts.MkAbs(args[3]))
	ts.Check(err)
	if !bytes.Equal(got, want) {
		ts.Fatalf("go-tuf downloaded other bytes for %s", args[2])
	}
}
