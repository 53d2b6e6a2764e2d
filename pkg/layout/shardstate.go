package layout

import (
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// The shard state (issue #19, part 7): the top level of a sharded
// repository commits, in its snapshot, to every shard's current snapshot
// (version and SHA-256) and to the versions of every shard's index roles.
// It is a metadata file of the top level, named in the top-level
// snapshot's meta as ShardStateMeta with its length and hashes, and served
// as metadata/VERSION._tufgit-shard-state.json. The online key signs the
// snapshot that names it: see docs/sharding.md for what that does and does
// not guarantee.
const (
	// ShardStateMeta is its entry in the top-level snapshot's meta. It
	// starts with "_", which no role name does.
	ShardStateMeta = "_tufgit-shard-state.json"
	ShardStateType = "tufgit-shard-state"
	// MaxShardStateSize bounds it: about 200 bytes a shard at 4096 shards.
	MaxShardStateSize = 4 << 20
	// maxIndexVersion bounds an index role version in it (JSON numbers
	// above 2^53 are not exact in every client).
	maxIndexVersion = 1 << 53
)

// ShardState is ShardStateMeta's content.
type ShardState struct {
	Type          string `json:"type"`
	FormatVersion int    `json:"format_version"`
	Bits          int    `json:"bits"`
	// Shards holds every shard's commitment, by shard name.
	Shards map[string]*ShardCommit `json:"shards"`
}

// ShardCommit is one shard's current state as the top level saw it.
type ShardCommit struct {
	// Snapshot and SHA256 are the version and hash of the shard's
	// snapshot.json.
	Snapshot int64  `json:"snapshot"`
	SHA256   string `json:"sha256"`
	// Index lists the version of each of the shard's index roles, grouped
	// by version, as space-separated prefixes, a run of one-character
	// prefixes (in FirstChars order) written A~B: {"1": "0~g i~z", "4":
	// "h"} is idx_h at version 4, the other 35 at 1. Compact, since index
	// roles move together ('~' is no index prefix's character).
	Index map[string]string `json:"index"`
}

// Validate checks a shard state of a repository of 2^bits shards: every
// shard is named once, with a snapshot version, a SHA-256 and index
// versions that parse. It does not require every shard to be present.
func (s *ShardState) Validate(bits int) error {
	if s.Type != ShardStateType {
		return fmt.Errorf("type is %q, want %q", printable(s.Type), ShardStateType)
	}
	if s.FormatVersion != FormatVersion {
		return fmt.Errorf("format_version %d is not supported (this tufgit reads %d)", s.FormatVersion, FormatVersion)
	}
	if s.Bits != bits {
		return fmt.Errorf("bits %d, but the shard map says %d", s.Bits, bits)
	}
	for _, name := range slices.Sorted(maps.Keys(s.Shards)) {
		if err := s.Shards[name].Validate(name, bits); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks one shard's commitment, of shard name among 2^bits.
func (c *ShardCommit) Validate(name string, bits int) error {
	if _, err := ParseShardName(name, bits); err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("shard %s: no commitment", name)
	}
	if c.Snapshot < 1 {
		return fmt.Errorf("shard %s: snapshot version %d", name, c.Snapshot)
	}
	if b, err := hex.DecodeString(c.SHA256); err != nil || len(b) != 32 || strings.ToLower(c.SHA256) != c.SHA256 {
		return fmt.Errorf("shard %s: sha256 %q is not 64 lowercase hex digits", name, printable(c.SHA256))
	}
	if _, err := c.IndexVersions(); err != nil {
		return fmt.Errorf("shard %s: %w", name, err)
	}
	return nil
}

// IndexVersions returns the index role versions c lists, by TUF role
// name (idx_P).
func (c *ShardCommit) IndexVersions() (map[string]int64, error) {
	out := map[string]int64{}
	for v, list := range c.Index {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > maxIndexVersion || strconv.FormatInt(n, 10) != v {
			return nil, fmt.Errorf("index version %q is not a positive decimal version", printable(v))
		}
		if len(list) > MaxShardStateSize {
			return nil, fmt.Errorf("index list of version %s is too long", v)
		}
		for _, tok := range strings.Fields(list) {
			prefixes := []string{tok}
			if a, b, isRun := strings.Cut(tok, "~"); isRun {
				i, j := strings.Index(FirstChars, a), strings.Index(FirstChars, b)
				if len(a) != 1 || len(b) != 1 || i < 0 || j <= i {
					return nil, fmt.Errorf("index run %q is not A~B of two one-character prefixes in order", printable(tok))
				}
				prefixes = prefixes[:0]
				for k := i; k <= j; k++ {
					prefixes = append(prefixes, FirstChars[k:k+1])
				}
			}
			for _, p := range prefixes {
				role := IndexRoleName(p)
				if got, ok := IndexPrefix(role); !ok || got != p {
					return nil, fmt.Errorf("index prefix %q is not one", printable(p))
				}
				if _, dup := out[role]; dup {
					return nil, fmt.Errorf("index role %s is listed twice", role)
				}
				out[role] = n
			}
		}
	}
	return out, nil
}

// SetIndexVersions sets c's index versions from a role name (idx_P) →
// version map; other names are ignored.
func (c *ShardCommit) SetIndexVersions(versions map[string]int64) {
	by := map[int64][]string{}
	for role, v := range versions {
		if p, ok := IndexPrefix(role); ok && !strings.Contains(role, "/") {
			by[v] = append(by[v], p)
		}
	}
	c.Index = map[string]string{}
	for v, ps := range by {
		c.Index[strconv.FormatInt(v, 10)] = joinPrefixes(ps)
	}
}

// joinPrefixes writes prefixes space-separated, runs of three or more
// consecutive one-character prefixes as A~B.
func joinPrefixes(ps []string) string {
	slices.SortFunc(ps, func(a, b string) int {
		if len(a) == 1 && len(b) == 1 {
			return strings.Index(FirstChars, a) - strings.Index(FirstChars, b)
		}
		if len(a) != len(b) {
			return len(a) - len(b) // one-character prefixes first
		}
		return strings.Compare(a, b)
	})
	var out []string
	for i := 0; i < len(ps); {
		j := i
		for j+1 < len(ps) && len(ps[i]) == 1 && len(ps[j+1]) == 1 &&
			strings.Index(FirstChars, ps[j+1]) == strings.Index(FirstChars, ps[j])+1 {
			j++
		}
		if j-i >= 2 {
			out = append(out, ps[i]+"~"+ps[j])
		} else {
			out = append(out, ps[i:j+1]...)
		}
		i = j + 1
	}
	return strings.Join(out, " ")
}

// ParseShardState reads ShardStateMeta's bytes strictly.
func ParseShardState(data []byte, bits int) (*ShardState, error) {
	var s ShardState
	if err := DecodeStrict(data, &s); err != nil {
		return nil, err
	}
	if err := s.Validate(bits); err != nil {
		return nil, err
	}
	return &s, nil
}
