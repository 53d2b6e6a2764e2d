package client

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
)

// ErrBadPattern is a project search pattern that can not match anything.
var ErrBadPattern = errors.New("bad project pattern")

// MaxIndexRoles bounds how many index roles Projects walks (a repository
// of a million projects has a few thousand).
const MaxIndexRoles = 100000

// Matcher matches normalized project names against a search pattern.
type Matcher func(name string) bool

// ParsePattern reads a project search pattern: a glob (with *, ? or [...],
// matched against the whole normalized name) or else a substring. Either
// is normalized as project names are (lowercase; '_' and '.' are '-'), so
// "Hello_W" finds hello-world. "" matches every project.
func ParsePattern(p string) (Matcher, error) {
	bad := func(why string) (Matcher, error) {
		return nil, fmt.Errorf("%w %q: %s", ErrBadPattern, strings.ToValidUTF8(p, "\uFFFD"), why)
	}
	if len(p) > 2*layout.MaxProjectNameLen {
		return bad(fmt.Sprintf("longer than %d characters", 2*layout.MaxProjectNameLen))
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '*', c == '?', c == '[', c == ']', c == '^', c == '!':
			b.WriteByte(c)
		case c == '_' || c == '.':
			b.WriteByte('-')
		default:
			return bad("project names have only ASCII letters, digits, '-', '_' and '.' (and a glob *, ? and [...])")
		}
	}
	q := b.String()
	if !strings.ContainsAny(q, "*?[") {
		if strings.ContainsAny(q, "]^!") {
			return bad("']', '^' and '!' only belong in a glob's [...]")
		}
		return func(name string) bool { return strings.Contains(name, q) }, nil
	}
	if _, err := path.Match(q, ""); err != nil {
		return bad("not a valid glob")
	}
	return func(name string) bool { ok, _ := path.Match(q, name); return ok }, nil
}

// Projects lists the projects the trusted metadata delegates whose
// normalized name match matches (nil: all), sorted. It walks the
// delegations from targets through every index role with the
// delegation walk, so each index role is verified (signatures, threshold, version
// against snapshot, expiry, and against the delegator it is reached
// through) before its delegations are read; a name counts
// only where its index role may delegate it (its prefix) and only with the
// one path pattern tufgit delegates.
func (c *Client) Projects(match Matcher) ([]string, error) {
	s, err := c.session(true)
	if err != nil {
		return nil, err
	}
	defer s.unlock()
	m := c.shardMap
	if m == nil {
		return s.projects(match)
	}
	// Every shard, each refreshed and walked on its own: listing every
	// project of a sharded repository reads all of it.
	var out []string
	for _, shard := range layout.ShardNames(m.Bits) {
		ss, err := s.openShard(shard)
		if err != nil {
			return nil, err
		}
		names, err := ss.projects(match)
		if err != nil {
			return nil, fmt.Errorf("shard %s: %w", shard, err)
		}
		// A name counts only in its own shard: a shard's index roles
		// cannot claim another shard's project.
		for _, n := range names {
			if layout.ShardName(layout.ShardOf(n, m.Bits), m.Bits) == shard {
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// projects is Projects of one repository or shard.
func (s *session) projects(match Matcher) ([]string, error) {
	top := s.tm.Targets[layout.RoleTargets]
	if top == nil {
		return nil, &TUFError{Cause: CauseOther, Err: errors.New("no trusted targets role")}
	}
	var queue []string
	queue = append(queue, indexChildren(top, "")...)
	seen := map[string]bool{}
	var out []string
	for n := 0; len(queue) > 0; n++ {
		if n >= MaxIndexRoles {
			return nil, &TUFError{Cause: CauseTooLarge, Err: fmt.Errorf("more than %d index roles", MaxIndexRoles)}
		}
		idx := queue[0]
		queue = queue[1:]
		if seen[idx] {
			continue
		}
		seen[idx] = true
		prefix, _ := layout.IndexPrefix(idx)
		// A path under exactly this prefix reaches this index role (and
		// every one above it) through go-tuf's delegation walk.
		r, err := s.lookup(layout.TargetPath(prefix, "0", "0"))
		var missing *missingRoleError
		if err != nil && !errors.As(err, &missing) {
			return nil, Classify(err)
		}
		if r.visited(idx) == nil {
			continue // not reachable: not trusted
		}
		m := s.tm.Targets[idx]
		queue = append(queue, indexChildren(m, prefix)...)
		if m.Signed.Delegations == nil {
			continue
		}
		for _, r := range m.Signed.Delegations.Roles {
			if layout.RoleKind(r.Name) != layout.KindProjectRole || !strings.HasPrefix(r.Name, prefix) ||
				len(r.Paths) != 1 || r.Paths[0] != layout.ProjectPathPattern(r.Name) {
				continue
			}
			if match == nil || match(r.Name) {
				out = append(out, r.Name)
			}
		}
	}
	sort.Strings(out)
	return dedupe(out), nil
}

// indexChildren are the index roles m delegates that cover a longer
// prefix than m's own (prefix), with the path pattern tufgit gives them.
func indexChildren(m *metadata.Metadata[metadata.TargetsType], prefix string) []string {
	if m.Signed.Delegations == nil {
		return nil
	}
	var out []string
	for _, r := range m.Signed.Delegations.Roles {
		p, ok := layout.IndexPrefix(r.Name)
		if !ok || len(p) <= len(prefix) || !strings.HasPrefix(p, prefix) ||
			len(r.Paths) != 1 || r.Paths[0] != layout.IndexPathPattern(p) {
			continue
		}
		out = append(out, r.Name)
	}
	return out
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
