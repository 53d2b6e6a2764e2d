package layout

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
)

// Hash shards (issue #13). A repository of many projects is split into
// K = 2^bits shards. Each is an ordinary TUF repository on the mirror
// with its own snapshot and timestamp; all share one root.json and one
// targets.json. A project's shard is the top `bits` bits of
// sha256(normalized name), so raising bits later splits every shard in
// place (shard s at b bits becomes shards s<<d … s<<d + 2^d-1 at b+d bits)
// and no project changes its name, its role or its signatures.
const (
	// ShardMapTarget is where targets.json lists the shard map: a target
	// signed with the offline targets keys, served by every shard, so a
	// client holding only root learns the rule securely. No normalized
	// project name starts with "_", so no project delegation can match it.
	ShardMapTarget = "_tufgit/shards.json"
	ShardMapType   = "tufgit-shards"
	// ShardRuleSHA256Prefix is the only rule: the top bits of SHA-256.
	ShardRuleSHA256Prefix = "sha256-prefix"
	// MaxShardBits bounds K at 4096 shards: the design memo's
	// measurements need 1024 at a million projects.
	MaxShardBits = 12
	// ShardPlaceholder is replaced by a shard's name in the map's paths.
	ShardPlaceholder = "{shard}"
)

// ShardOf returns the shard of a normalized project name when the
// repository has 2^bits shards (0 for bits = 0, the single-shard layout).
func ShardOf(name string, bits int) int {
	if bits <= 0 {
		return 0
	}
	sum := sha256.Sum256([]byte(name))
	return int(binary.BigEndian.Uint32(sum[:4]) >> (32 - bits))
}

// ShardName renders a shard as lowercase hex, as wide as the largest
// shard needs: "3ff" at 10 bits, "" in the single-shard layout.
func ShardName(shard, bits int) string {
	if bits <= 0 {
		return ""
	}
	return fmt.Sprintf("%0*x", (bits+3)/4, shard)
}

// ParseShardName is ShardName's inverse; it refuses names of the wrong
// width, upper case, and shards beyond 2^bits.
func ParseShardName(s string, bits int) (int, error) {
	if bits < 0 || bits > MaxShardBits {
		return 0, fmt.Errorf("shard bits %d out of range 0-%d", bits, MaxShardBits)
	}
	if bits == 0 {
		if s != "" {
			return 0, fmt.Errorf("shard %q: the repository has one shard", printable(s))
		}
		return 0, nil
	}
	width := (bits + 3) / 4
	if len(s) != width {
		return 0, fmt.Errorf("shard %q: want %d lowercase hex digits", printable(s), width)
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			n = n<<4 | int(c-'0')
		case c >= 'a' && c <= 'f':
			n = n<<4 | int(c-'a'+10)
		default:
			return 0, fmt.Errorf("shard %q: want %d lowercase hex digits", printable(s), width)
		}
	}
	if n >= 1<<bits {
		return 0, fmt.Errorf("shard %q: beyond the %d shards of %d bits", s, 1<<bits, bits)
	}
	return n, nil
}

// ShardMap is the content of ShardMapTarget: how a client finds a
// project's shard and that shard's URLs, relative to the mirror's base.
type ShardMap struct {
	Type          string `json:"type"`
	FormatVersion int    `json:"format_version"`
	Rule          string `json:"rule"`
	Bits          int    `json:"bits"`
	// Metadata is the path of a shard's metadata directory below the
	// mirror's base, with ShardPlaceholder: "s10/{shard}/metadata/".
	Metadata string `json:"metadata"`
	// Targets is the path of the target files below the mirror's base,
	// shared by every shard: "targets/".
	Targets string `json:"targets"`
}

// DefaultShardMap is the map of a repository with 2^bits shards laid out
// as tufgit publishes them: shard S under sBITS/S/metadata/. The bits are
// in the path so that shards of another count (after a reshard) never
// share a directory, and so never a version line, with these: shard "0"
// of 4 and shard "0" of 16 hold different projects.
func DefaultShardMap(bits int) ShardMap {
	return ShardMap{Type: ShardMapType, FormatVersion: FormatVersion, Rule: ShardRuleSHA256Prefix, Bits: bits,
		Metadata: fmt.Sprintf("s%d/%s/metadata/", bits, ShardPlaceholder), Targets: "targets/"}
}

// ShardMetadataDir is where shard (a name) of a repository of 2^bits
// shards publishes its metadata, relative to the mirror's base.
func ShardMetadataDir(bits int, shard string) string {
	m := DefaultShardMap(bits)
	return strings.Replace(m.Metadata, ShardPlaceholder, shard, 1)
}

// Validate checks a shard map. Its paths are relative, stay below the
// mirror's base, and the metadata path names the shard exactly once, so
// that no two shards can share metadata.
func (m *ShardMap) Validate() error {
	if m.Type != ShardMapType {
		return fmt.Errorf("type is %q, want %q", printable(m.Type), ShardMapType)
	}
	if m.FormatVersion != FormatVersion {
		return fmt.Errorf("format_version %d is not supported (this tufgit reads %d)", m.FormatVersion, FormatVersion)
	}
	if m.Rule != ShardRuleSHA256Prefix {
		return fmt.Errorf("rule %q is not supported (want %q)", printable(m.Rule), ShardRuleSHA256Prefix)
	}
	if m.Bits < 1 || m.Bits > MaxShardBits {
		return fmt.Errorf("bits %d out of range 1-%d", m.Bits, MaxShardBits)
	}
	if strings.Count(m.Metadata, ShardPlaceholder) != 1 {
		return fmt.Errorf("metadata path %q must contain %s exactly once", printable(m.Metadata), ShardPlaceholder)
	}
	for _, f := range []struct{ name, p string }{{"metadata", m.Metadata}, {"targets", m.Targets}} {
		if err := checkRelativeDir(strings.Replace(f.p, ShardPlaceholder, "x", 1)); err != nil {
			return fmt.Errorf("%s path %q: %v", f.name, printable(f.p), err)
		}
	}
	return nil
}

// checkRelativeDir accepts "a/b/" style paths: relative, ending in "/",
// each segment of [A-Za-z0-9._-] and not "." or "..", so that the path
// means the same as a URL path and as a file path (no "?", "#", "%", no
// way out of the mirror's base).
func checkRelativeDir(p string) error {
	if !strings.HasSuffix(p, "/") {
		return fmt.Errorf("must end in /")
	}
	for _, seg := range strings.Split(strings.TrimSuffix(p, "/"), "/") {
		ok := seg != "" && seg != "." && seg != ".."
		for i := 0; ok && i < len(seg); i++ {
			c := seg[i]
			ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		}
		if !ok {
			return fmt.Errorf("segment %q must be letters, digits, '.', '_' or '-' (and not . or ..)", printable(seg))
		}
	}
	return nil
}

// MetadataPath is the shard's metadata directory below the mirror's base.
func (m *ShardMap) MetadataPath(shard int) string {
	return strings.Replace(m.Metadata, ShardPlaceholder, ShardName(shard, m.Bits), 1)
}

// ParseShardMap reads ShardMapTarget's bytes strictly.
func ParseShardMap(data []byte) (*ShardMap, error) {
	var m ShardMap
	if err := DecodeStrict(data, &m); err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Role ids. Every shard of a sharded repository has its own index roles,
// all named idx_0 … idx_z as TUF sees them (each shard is its own TUF
// repository, delegated from the one shared targets.json). In the tree,
// and everywhere tufgit names a role file, an index role of shard S is
// the id "S/idx_P", and its file is metadata/index/S/idx_P.json. Root,
// targets and project roles are their own ids; so is every index role of
// a single-shard repository, whose files stay metadata/index/idx_P.json.

// IndexRoleID is the id of shard's index role for prefix ("" shard: the
// single-shard layout).
func IndexRoleID(shard, prefix string) string {
	if shard == "" {
		return IndexRoleName(prefix)
	}
	return shard + "/" + IndexRoleName(prefix)
}

// RoleName is the TUF role name of a role id: the id without its shard.
func RoleName(id string) string {
	if i := strings.IndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}

// RoleShard is the shard of an index role id, "" for every other id.
func RoleShard(id string) string {
	if i := strings.IndexByte(id, '/'); i >= 0 {
		return id[:i]
	}
	return ""
}

// ProjectShard is the name of the shard that holds project name when the
// repository has 2^bits shards ("" for one shard).
func ProjectShard(name string, bits int) string {
	return ShardName(ShardOf(name, bits), bits)
}

// ShardNames lists every shard of a repository with 2^bits shards, in
// order ([""] for one shard).
func ShardNames(bits int) []string {
	if bits <= 0 {
		return []string{""}
	}
	out := make([]string, 1<<bits)
	for i := range out {
		out[i] = ShardName(i, bits)
	}
	return out
}

// ChildIDs are the ids of the role files that a delegation from the role
// delegator (an id) to the TUF role name names: targets' delegation to
// idx_P names idx_P in every shard, an index role's delegation to idx_P
// names idx_P of its own shard, and a project is its own id.
func ChildIDs(delegator, name string, bits int) []string {
	prefix, isIdx := IndexPrefix(name)
	if !isIdx || strings.IndexByte(name, '/') >= 0 {
		return []string{name}
	}
	if delegator != RoleTargets {
		return []string{IndexRoleID(RoleShard(delegator), prefix)}
	}
	shards := ShardNames(bits)
	out := make([]string, len(shards))
	for i, s := range shards {
		out[i] = IndexRoleID(s, prefix)
	}
	return out
}

// validShardDir reports whether s may name a shard in the tree: 1 to 3
// lowercase hex digits. Whether it is a shard of this repository (its
// width and range follow index.shard_bits) is verify's to say.
func validShardDir(s string) bool {
	if len(s) < 1 || len(s) > (MaxShardBits+3)/4 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// EncodeShardMap is the canonical bytes tufgit writes for a shard map
// (metadata/shards.json): indented JSON with a final newline.
func EncodeShardMap(m ShardMap) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
