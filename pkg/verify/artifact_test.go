package verify_test

import (
	"encoding/hex"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/verify"
)

// TestReleaseArtifacts: a release whose artifact is stored passes the
// incremental and the full check; one whose artifact is missing, or stored
// with other bytes, is refused by both, naming the artifact's own path
// (the full check reads artifacts through a pipeline of its own, the
// incremental one by path).
func TestReleaseArtifacts(t *testing.T) {
	for _, c := range []struct {
		name  string
		store func(sha string, data []byte) []gitstore.FileChange
		code  string
		msg   string
	}{
		{"stored", func(sha string, data []byte) []gitstore.FileChange {
			return []gitstore.FileChange{{Path: layout.ArtifactPath(sha), Data: data}}
		}, "", ""},
		{"missing", func(string, []byte) []gitstore.FileChange { return nil }, verify.CodeMissing, "artifact of target"},
		{"other bytes", func(sha string, data []byte) []gitstore.FileChange {
			bad := append([]byte{}, data...)
			bad[0] ^= 1
			return []gitstore.FileChange{{Path: layout.ArtifactPath(sha), Data: bad}}
		}, verify.CodeArtifact, "does not match target"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := gen(t, repotest.Spec{Projects: 8, MaxPerIndex: 3, Releases: 1})
			old := f.Head
			p := f.Projects[3]
			data := repotest.Artifact(p, "7.0.0", 300)
			tp := layout.TargetPath(p, "7.0.0", p+"-7.0.0.tar.gz")
			tf, err := metadata.TargetFile().FromBytes(tp, data, "sha256", "sha512")
			if err != nil {
				t.Fatal(err)
			}
			sha := hex.EncodeToString(tf.Hashes["sha256"])
			role := resign(t, f, p, func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Targets[tp] = tf }, f.ProjectKeys[p]...)
			if _, err := f.Commit("release", append(c.store(sha, data), role)...); err != nil {
				t.Fatal(err)
			}
			for name, rep := range map[string]*verify.Report{"since": since(t, f, old), "full": full(t, f)} {
				if c.code == "" {
					wantValid(t, rep)
					if name == "full" && rep.Stats.Artifacts != 9 {
						t.Errorf("full check read %d artifacts, want 9", rep.Stats.Artifacts)
					}
					continue
				}
				if len(rep.Problems) != 1 {
					t.Errorf("%s: %d problems, want 1: %v", name, len(rep.Problems), rep.Problems)
				}
				wantProblem(t, rep, c.code, layout.ArtifactPath(sha), c.msg)
				for _, pr := range rep.Problems {
					if pr.Path != layout.ArtifactPath(sha) {
						t.Errorf("%s: problem at %q, want the artifact's path %q", name, pr.Path, layout.ArtifactPath(sha))
					}
				}
			}
		})
	}
}
