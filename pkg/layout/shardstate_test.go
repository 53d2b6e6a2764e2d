package layout

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"strings"
	"testing"
)

func TestShardCommitIndexRoundTrip(t *testing.T) {
	for _, versions := range []map[string]int64{
		{},
		{"idx_0": 1},
		{"idx_a": 2, "idx_b": 2},
		{"idx_a": 2, "idx_b": 2, "idx_c": 2, "idx_e": 2, "idx_ab": 2, "idx_a-b": 3, "idx_z": 7},
		allIndex(1, map[string]int64{"idx_h": 4}),
		allIndex(2, nil),
	} {
		c := &ShardCommit{}
		c.SetIndexVersions(versions)
		got, err := c.IndexVersions()
		if err != nil || !maps.Equal(got, versions) {
			t.Fatalf("%v -> %v -> %v %v", versions, c.Index, got, err)
		}
	}
	c := &ShardCommit{}
	c.SetIndexVersions(allIndex(1, map[string]int64{"idx_h": 4}))
	if want := map[string]string{"1": "0~g i~z", "4": "h"}; !maps.Equal(c.Index, want) {
		t.Fatalf("index written as %v, want %v", c.Index, want)
	}
}

func allIndex(v int64, except map[string]int64) map[string]int64 {
	m := map[string]int64{}
	for i := range FirstChars {
		m[IndexRoleName(FirstChars[i:i+1])] = v
	}
	maps.Copy(m, except)
	return m
}

// Every malformed shard state is refused with a line saying what.
func TestShardStateRefusesMalformed(t *testing.T) {
	sum := sha256.Sum256(nil)
	good := func() *ShardState {
		return &ShardState{Type: ShardStateType, FormatVersion: FormatVersion, Bits: 2, Shards: map[string]*ShardCommit{
			"0": {Snapshot: 3, SHA256: hex.EncodeToString(sum[:]), Index: map[string]string{"1": "0~z"}}}}
	}
	if err := good().Validate(2); err != nil {
		t.Fatalf("positive control: %v", err)
	}
	for name, tc := range map[string]struct {
		edit func(*ShardState)
		want string
	}{
		"type":           {func(s *ShardState) { s.Type = "x" }, "type"},
		"format":         {func(s *ShardState) { s.FormatVersion = 9 }, "format_version"},
		"bits":           {func(s *ShardState) { s.Bits = 3 }, "bits 3"},
		"shard name":     {func(s *ShardState) { s.Shards["4"] = s.Shards["0"] }, "beyond"},
		"nil":            {func(s *ShardState) { s.Shards["1"] = nil }, "no commitment"},
		"version":        {func(s *ShardState) { s.Shards["0"].Snapshot = 0 }, "snapshot version 0"},
		"short hash":     {func(s *ShardState) { s.Shards["0"].SHA256 = "abcd" }, "64 lowercase"},
		"upper hash":     {func(s *ShardState) { s.Shards["0"].SHA256 = strings.ToUpper(s.Shards["0"].SHA256) }, "64 lowercase"},
		"index version":  {func(s *ShardState) { s.Shards["0"].Index = map[string]string{"01": "a"} }, "positive decimal"},
		"index negative": {func(s *ShardState) { s.Shards["0"].Index = map[string]string{"-1": "a"} }, "positive decimal"},
		"index huge":     {func(s *ShardState) { s.Shards["0"].Index = map[string]string{"9007199254740993": "a"} }, "positive decimal"},
		"prefix":         {func(s *ShardState) { s.Shards["0"].Index = map[string]string{"1": "A"} }, "not one"},
		"prefix path":    {func(s *ShardState) { s.Shards["0"].Index = map[string]string{"1": "0/idx_a"} }, "not one"},
		"twice":          {func(s *ShardState) { s.Shards["0"].Index = map[string]string{"1": "a", "2": "a~c"} }, "listed twice"},
		"run backwards":  {func(s *ShardState) { s.Shards["0"].Index = map[string]string{"1": "z~a"} }, "A~B"},
		"run long":       {func(s *ShardState) { s.Shards["0"].Index = map[string]string{"1": "ab~c"} }, "A~B"},
		"run open":       {func(s *ShardState) { s.Shards["0"].Index = map[string]string{"1": "a~"} }, "A~B"},
	} {
		s := good()
		tc.edit(s)
		err := s.Validate(2)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line with %q", name, err, tc.want)
		}
	}
	raw, _ := json.Marshal(good())
	if _, err := ParseShardState(append(raw[:len(raw)-1:len(raw)-1], []byte(`,"extra":1}`)...), 2); err == nil {
		t.Fatal("an unknown field was accepted")
	}
}

// The shard state's size at K = 2048 (a million projects), with 36 index
// roles a shard at one version and, in one shard of eight, one role
// re-signed after a key removal; and at K = 4096, under its limit.
func TestShardStateSize(t *testing.T) {
	for _, bits := range []int{11, 12} {
		st := &ShardState{Type: ShardStateType, FormatVersion: FormatVersion, Bits: bits, Shards: map[string]*ShardCommit{}}
		for i, name := range ShardNames(bits) {
			sum := sha256.Sum256([]byte(name))
			c := &ShardCommit{Snapshot: 123456 + int64(i), SHA256: hex.EncodeToString(sum[:])}
			var bump map[string]int64
			if i%8 == 0 {
				bump = map[string]int64{"idx_" + FirstChars[i%36:i%36+1]: 3}
			}
			c.SetIndexVersions(allIndex(2, bump))
			st.Shards[name] = c
		}
		raw, _ := json.Marshal(st)
		t.Logf("K = %d: %d bytes (%.0f a shard)", 1<<bits, len(raw), float64(len(raw))/float64(int(1)<<bits))
		if len(raw) > MaxShardStateSize {
			t.Fatalf("K = %d: %d bytes, over the limit", 1<<bits, len(raw))
		}
		if _, err := ParseShardState(raw, bits); err != nil {
			t.Fatal(err)
		}
	}
}

// ParseShardState takes the mirror's bytes (checked against the top
// level's hash, but signed only by the online key): it never panics, and
// what it accepts reads back.
func FuzzParseShardState(f *testing.F) {
	f.Add([]byte(`{"type":"tufgit-shard-state","format_version":1,"bits":2,"shards":{"0":{"snapshot":3,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","index":{"1":"0~g i~z","4":"h"}}}}`), 2)
	f.Add([]byte(`{"type":"tufgit-shard-state","format_version":1,"bits":1,"shards":{"1":{"snapshot":1,"sha256":"","index":{"1":"a~"}}}}`), 1)
	f.Add([]byte(`{"shards":{"0":null}}`), 2)
	f.Fuzz(func(t *testing.T, data []byte, bits int) {
		st, err := ParseShardState(data, bits)
		if err != nil {
			return
		}
		for name, c := range st.Shards {
			v, err := c.IndexVersions()
			if err != nil {
				t.Fatalf("accepted shard %s whose index does not parse: %v", name, err)
			}
			again := &ShardCommit{}
			again.SetIndexVersions(v)
			if w, err := again.IndexVersions(); err != nil || !maps.Equal(w, v) {
				t.Fatalf("shard %s: %v does not write back: %v %v", name, v, w, err)
			}
		}
	})
}
