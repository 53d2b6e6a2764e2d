package audit

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tufgit/tufgit/pkg/gitstore"
)

// FuzzCheckpoint feeds the audit checkpoint file (.git/tufgit-audit.json),
// which anyone with write access to the git directory could have edited.
// Properties: a refusal is one line naming the file; what is accepted
// holds only well-formed hashes, at most maxCheckpointItems entries; and
// recording a new audit over it keeps it readable, with the new entry
// first and the others after it in order, each still found by rev and
// rules.
func FuzzCheckpoint(f *testing.F) {
	dir := filepath.Join(f.TempDir(), "repo.git")
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "tufgit-fuzz-"); err == nil {
			f.Cleanup(func() { os.RemoveAll(d) })
			dir = filepath.Join(d, "repo.git")
		}
	}
	g, err := gitstore.InitBare(dir)
	if err != nil {
		f.Fatal(err)
	}
	h := strings.Repeat("ab", 20)
	f.Add([]byte(`{"type":"tufgit-audit-checkpoint","format_version":1,"entries":[{"rev":"main","rules":"` + rulesHash("full") + `","commit":"` + h + `","audited":"2026-11-25T12:00:00Z"}]}`))
	f.Add([]byte(`{"type":"tufgit-audit-checkpoint","format_version":1,"entries":[{"rev":"main","rules":"` + rulesHash("full") + `","commit":"` + h + `","audited":"2026-11-25T12:00:00Z","trusted_from":"` + h + `"},{"rev":"x","rules":"` + rulesHash("x") + `","commit":"` + h + `","audited":"2026-11-25T12:00:00Z"}]}`))
	f.Add([]byte(`{"type":"tufgit-audit-checkpoint","format_version":1,"entries":[]}{}`))
	f.Add([]byte(`{"type":"tufgit-audit-checkpoint","format_version":2}`))
	next := checkpointEntry{Rev: "refs/heads/main", Rules: rulesHash("fuzz"), Commit: strings.Repeat("cd", 20), Audited: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(checkpointPath(g), data, 0o644); err != nil {
			t.Fatal(err)
		}
		doc, err := readDoc(g)
		if err != nil {
			if msg := err.Error(); !strings.Contains(msg, CheckpointFile) || strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("refusal is not one line naming the file: %q", msg)
			}
			return
		}
		if len(doc.Entries) > maxCheckpointItems {
			t.Fatalf("accepted %d entries", len(doc.Entries))
		}
		for _, e := range doc.Entries {
			if !isHex(e.Commit, 40) || !isHex(e.Rules, 64) {
				t.Fatalf("accepted an entry whose commit or rules is not a hash: %+v", e)
			}
		}
		if err := writeCheckpoint(g, next); err != nil {
			t.Fatalf("recording an audit over an accepted checkpoint: %v", err)
		}
		after, err := readDoc(g)
		if err != nil {
			t.Fatalf("the checkpoint written is not readable: %v", err)
		}
		want := []checkpointEntry{next}
		for _, o := range doc.Entries {
			if (o.Rev != next.Rev || o.Rules != next.Rules) && len(want) < maxCheckpointItems {
				want = append(want, o)
			}
		}
		if len(after.Entries) != len(want) {
			t.Fatalf("%d entries after recording, want %d", len(after.Entries), len(want))
		}
		for i := range want {
			if !after.Entries[i].Audited.Equal(want[i].Audited) {
				t.Fatalf("entry %d: audited %v, want %v", i, after.Entries[i].Audited, want[i].Audited)
			}
			a, w := after.Entries[i], want[i]
			a.Audited, w.Audited = time.Time{}, time.Time{}
			if !reflect.DeepEqual(a, w) {
				t.Fatalf("entry %d: %+v, want %+v", i, a, w)
			}
			if e, ok, err := readCheckpoint(g, want[i].Rev, want[i].Rules); err != nil || !ok || e.Commit == "" {
				t.Fatalf("entry %d (%q) not found again: %v", i, want[i].Rev, err)
			}
		}
	})
}
