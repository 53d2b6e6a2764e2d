package trust_test

import (
	"encoding/json"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/trust"
)

func TestSameTargetFile(t *testing.T) {
	entry := func(custom string, hashes map[string]string) *metadata.TargetFiles {
		tf := &metadata.TargetFiles{Length: 3, Hashes: metadata.Hashes{}}
		for alg, h := range hashes {
			tf.Hashes[alg] = metadata.HexBytes(h)
		}
		if custom != "" {
			raw := json.RawMessage(custom)
			tf.Custom = &raw
		}
		return tf
	}
	both := map[string]string{"sha256": "aa", "sha512": "bb"}
	base := entry("", both)
	if !trust.SameTargetFile(base, entry("", both)) {
		t.Error("equal entries differ")
	}
	if !trust.SameTargetFile(entry(`{"a": 1, "b": 2}`, both), entry(`{"b":2,"a":1}`, both)) {
		t.Error("key order or spacing of custom made entries differ")
	}
	yanked := entry(`{"tufgit":{"yanked":true,"yank_reason":"x"}}`, both)
	if trust.SameTargetFile(base, yanked) || !base.Equal(*yanked) {
		t.Error("a yank must tell entries apart (go-tuf's Equal does not)")
	}
	if trust.SameTargetFile(base, entry("", map[string]string{"sha256": "aa"})) {
		t.Error("a dropped hash must tell entries apart")
	}
	if trust.SameTargetFile(base, entry("", map[string]string{"sha256": "aa", "sha512": "bc"})) {
		t.Error("another hash value must tell entries apart")
	}
	if trust.SameTargetFile(base, nil) || !trust.SameTargetFile(nil, nil) {
		t.Error("nil entries")
	}
}
