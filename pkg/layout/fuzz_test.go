package layout_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"path"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tufgit/tufgit/pkg/layout"
)

// The fuzz targets below are run over their seed corpus
// (testdata/fuzz/<Name>/) by `go test`, and fuzzed by `make fuzz`.
//
// Known bugs (see TestKnownBugs) are deliberately not asserted here:
// CheckJSON does not reject invalid UTF-8, and DecodeStrict matches field
// names case-insensitively.

// ---------------------------------------------------------------------------
// Independent models used by the properties.

// normalizedNameRE is the shape of every normalized project name.
var normalizedNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// pep508NameRE is PEP 508's name grammar. It spells out both cases instead
// of using (?i), because Go's (?i) also folds 'K' (U+212A) and 'ſ' (U+017F).
var pep508NameRE = regexp.MustCompile(`^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$`)

// pep503SepRE is a run of separators that PEP 503 replaces with one '-'.
var pep503SepRE = regexp.MustCompile(`[-_.]+`)

// referenceNormalize is PEP 503 normalization written from the spec, plus
// tufgit's length limit and reserved names.
func referenceNormalize(name string) (string, bool) {
	if len(name) == 0 || len(name) > layout.MaxProjectNameLen || !pep508NameRE.MatchString(name) {
		return "", false
	}
	n := pep503SepRE.ReplaceAllString(strings.ToLower(name), "-")
	switch n {
	case "root", "targets", "snapshot", "timestamp":
		return "", false
	}
	return n, true
}

// jsonShape scans JSON text without decoding it and returns the deepest
// bracket nesting and the number of object keys (every ':' outside a
// string follows a key). Only meaningful for valid JSON.
func jsonShape(data []byte) (maxNesting, keys int) {
	inString, escaped, depth := false, false, 0
	for _, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
			if depth > maxNesting {
				maxNesting = depth
			}
		case ']', '}':
			depth--
		case ':':
			keys++
		}
	}
	return maxNesting, keys
}

// decodeAny decodes one JSON value keeping numbers exact.
func decodeAny(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// treeStats returns the number of map entries in a decoded value and the
// depth of its deepest value, counting the top-level value as depth 0 and
// an element of a container at depth d as d+1.
func treeStats(v any) (entries, depth int) {
	switch x := v.(type) {
	case map[string]any:
		entries = len(x)
		for _, c := range x {
			e, d := treeStats(c)
			entries += e
			depth = max(depth, d+1)
		}
	case []any:
		for _, c := range x {
			e, d := treeStats(c)
			entries += e
			depth = max(depth, d+1)
		}
	}
	return entries, depth
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------

func FuzzCheckJSON(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":[1,2,{"c":null}]}`))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := layout.CheckJSON(data)
		valid := json.Valid(data)
		if !valid {
			if err == nil {
				t.Fatalf("CheckJSON accepted input that encoding/json says is invalid: %q", data)
			}
			return
		}
		nesting, keys := jsonShape(data)
		if err == nil {
			if nesting > layout.MaxJSONDepth+1 {
				t.Fatalf("CheckJSON accepted %d levels of nesting", nesting)
			}
			// (DecodeStrict into `any` may still fail: 1e400 is valid JSON
			// but no float64, so only decoding into json.RawMessage is
			// guaranteed.)
			var raw json.RawMessage
			if err := layout.DecodeStrict(data, &raw); err != nil {
				t.Fatalf("CheckJSON accepted what DecodeStrict refuses: %v", err)
			}
			if !bytes.Equal(raw, bytes.TrimSpace(data)) {
				t.Fatalf("DecodeStrict into RawMessage = %q, input %q", raw, data)
			}
		} else {
			msg := err.Error()
			if !strings.Contains(msg, "duplicate key") && !strings.Contains(msg, "nested deeper") && !(strings.Contains(msg, "not valid UTF-8") && !utf8.Valid(data)) {
				t.Fatalf("CheckJSON refused valid JSON for an unexpected reason: %v", err)
			}
			if strings.Contains(msg, "nested deeper") && nesting <= layout.MaxJSONDepth {
				t.Fatalf("CheckJSON says %q but nesting is only %d", msg, nesting)
			}
		}

		v, derr := decodeAny(data)
		if derr != nil {
			// encoding/json's own depth limit (10000) is far above ours.
			if err == nil {
				t.Fatalf("CheckJSON accepted what encoding/json can not decode: %v", derr)
			}
			return
		}
		entries, depth := treeStats(v)
		unique := entries == keys
		// Accepted exactly when keys are unique and no value is nested
		// deeper than MaxJSONDepth.
		if want := unique && depth <= layout.MaxJSONDepth && utf8.Valid(data); (err == nil) != want {
			t.Fatalf("CheckJSON = %v; want ok=%v (keys %d, unique %d, depth %d)", err, want, keys, entries, depth)
		}
		if err != nil && unique && strings.Contains(err.Error(), "duplicate key") {
			t.Fatalf("CheckJSON reports a duplicate key but all %d keys are distinct: %v", keys, err)
		}
		if err != nil && unique && depth <= layout.MaxJSONDepth && strings.Contains(err.Error(), "nested deeper") {
			t.Fatalf("CheckJSON reports deep nesting but the deepest value is at depth %d: %v", depth, err)
		}

		// Re-encoding the decoded value removes duplicates; whatever is
		// then shallow enough must be accepted and decode to the same value.
		canon, merr := json.Marshal(v)
		if merr != nil {
			t.Fatalf("json.Marshal of a decoded value: %v", merr)
		}
		cerr := layout.CheckJSON(canon)
		if (cerr == nil) != (depth <= layout.MaxJSONDepth) {
			t.Fatalf("CheckJSON(canonical %q) = %v at depth %d", canon, cerr, depth)
		}
		if cerr == nil {
			v2, err := decodeAny(canon)
			if err != nil || !reflect.DeepEqual(v, v2) {
				t.Fatalf("canonical form does not decode to the same value: %v", err)
			}
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	c := layout.DefaultConfig()
	c.OnlineKey.KeyID = strings.Repeat("0f", 32)
	if b, err := layout.EncodeFile(c); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := layout.ParseConfig(data)
		if err != nil {
			if c != nil {
				t.Fatalf("ParseConfig returned %+v with error %v", c, err)
			}
			return
		}
		if err := layout.CheckJSON(data); err != nil {
			t.Fatalf("ParseConfig accepted input CheckJSON refuses: %v", err)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseConfig returned a config that does not validate: %v", err)
		}
		// Spot-check what Validate promises.
		if c.Type != layout.ConfigType || c.FormatVersion != layout.FormatVersion {
			t.Fatalf("accepted type %q version %d", c.Type, c.FormatVersion)
		}
		if c.OnlineKey.URI != "" && !layout.IsKMSURI(c.OnlineKey.URI) {
			t.Fatalf("accepted online_key.uri %q", c.OnlineKey.URI)
		}
		if layout.ValidateStore(c.Artifacts.Store) != nil {
			t.Fatalf("accepted artifacts.store %q", c.Artifacts.Store)
		}
		e := c.Expiry
		for _, d := range []layout.Duration{e.Root, e.Targets, e.Index, e.Project} {
			if time.Duration(d) < layout.MinOfflineExpiry || time.Duration(d) > layout.MaxOfflineExpiry {
				t.Fatalf("accepted offline expiry %v", time.Duration(d))
			}
		}
		if time.Duration(e.Timestamp) > layout.MaxTimestampExpiry || time.Duration(e.Snapshot) > layout.MaxSnapshotExpiry ||
			time.Duration(e.Timestamp) < layout.MinOnlineExpiry || time.Duration(e.Snapshot) < layout.MinOnlineExpiry {
			t.Fatalf("accepted online expiry: snapshot %v, timestamp %v", time.Duration(e.Snapshot), time.Duration(e.Timestamp))
		}
		if e.Timestamp > e.Snapshot {
			t.Fatalf("accepted timestamp expiry %v > snapshot %v", e.Timestamp, e.Snapshot)
		}
		if c.Index.MaxProjects < 1 || c.Index.MaxProjects > 10000 {
			t.Fatalf("accepted max_projects %d", c.Index.MaxProjects)
		}

		// Round trip: encode, parse again, same value, same bytes.
		enc, err := layout.EncodeFile(c)
		if err != nil {
			t.Fatalf("EncodeFile of an accepted config: %v", err)
		}
		c2, err := layout.ParseConfig(enc)
		if err != nil {
			t.Fatalf("re-encoded config is refused: %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v", *c, *c2)
		}
		enc2, err := layout.EncodeFile(c2)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable (%v):\n%s\n%s", err, enc, enc2)
		}
	})
}

func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"type":"tufgit-request","format_version":1,"id":"a","kind":"init","author":"A","created":"2024-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := layout.ParseRequest(data)
		if err != nil {
			if r != nil {
				t.Fatalf("ParseRequest returned %+v with error %v", r, err)
			}
			return
		}
		if err := layout.CheckJSON(data); err != nil {
			t.Fatalf("ParseRequest accepted input CheckJSON refuses: %v", err)
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("ParseRequest returned a request that does not validate: %v", err)
		}
		if err := layout.ValidateRequestID(r.ID); err != nil {
			t.Fatalf("accepted request id %q: %v", r.ID, err)
		}
		// The ID names a directory of the layout.
		if e, err := layout.Classify(layout.RequestPath(r.ID)); err != nil || e.Kind != layout.KindRequest || e.Request != r.ID {
			t.Fatalf("Classify(RequestPath(%q)) = %+v, %v", r.ID, e, err)
		}
		if r.Project != "" {
			if e, err := layout.Classify(layout.ProjectConfigPath(r.Project)); err != nil || e.Project != r.Project {
				t.Fatalf("Classify(ProjectConfigPath(%q)) = %+v, %v", r.Project, e, err)
			}
		}
		if layout.ValidateLabel(r.Author) != nil || r.Created.IsZero() || len(r.Note) > 2000 {
			t.Fatalf("accepted request %+v", *r)
		}

		enc, err := layout.EncodeFile(r)
		if err != nil {
			t.Fatalf("EncodeFile of an accepted request: %v", err)
		}
		r2, err := layout.ParseRequest(enc)
		if err != nil {
			t.Fatalf("re-encoded request is refused: %v\n%s", err, enc)
		}
		// time.Time values carry a *Location; compare instants.
		if !r2.Created.Equal(r.Created) {
			t.Fatalf("round trip changed created: %v -> %v", r.Created, r2.Created)
		}
		a, b := *r, *r2
		a.Created, b.Created = time.Time{}, time.Time{}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip changed the request:\n%+v\n%+v", *r, *r2)
		}
		enc2, err := layout.EncodeFile(r2)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable (%v):\n%s\n%s", err, enc, enc2)
		}
	})
}

func FuzzParseProjectConfig(f *testing.F) {
	f.Add([]byte(`{"type":"tufgit-project","format_version":1,"name":"a","created":"2024-01-01T00:00:00Z","maintainers":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := layout.ParseProjectConfig(data)
		if err != nil {
			if p != nil {
				t.Fatalf("ParseProjectConfig returned %+v with error %v", p, err)
			}
			return
		}
		if err := layout.CheckJSON(data); err != nil {
			t.Fatalf("ParseProjectConfig accepted input CheckJSON refuses: %v", err)
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("ParseProjectConfig returned a config that does not validate: %v", err)
		}
		if !layout.IsNormalizedProjectName(p.Name) {
			t.Fatalf("accepted project name %q", p.Name)
		}
		if p.DisplayName != "" {
			if n, err := layout.NormalizeProjectName(p.DisplayName); err != nil || n != p.Name {
				t.Fatalf("display name %q normalizes to %q, %v; name is %q", p.DisplayName, n, err, p.Name)
			}
		}
		seen := map[string]bool{}
		for _, m := range p.Maintainers {
			if seen[m.KeyID] || len(m.KeyID) != 64 || strings.Trim(m.KeyID, "0123456789abcdef") != "" {
				t.Fatalf("accepted maintainer keyid %q", m.KeyID)
			}
			seen[m.KeyID] = true
			if layout.ValidateLabel(m.Name) != nil {
				t.Fatalf("accepted maintainer name %q", m.Name)
			}
		}
		// The project's files are where Classify expects them.
		if e, err := layout.Classify(layout.ProjectConfigPath(p.Name)); err != nil || e.Kind != layout.KindProjectConfig || e.Project != p.Name {
			t.Fatalf("Classify(ProjectConfigPath(%q)) = %+v, %v", p.Name, e, err)
		}
		if e, err := layout.Classify(layout.RolePath(p.Name)); err != nil || e.Kind != layout.KindProjectRole || e.Role != p.Name {
			t.Fatalf("Classify(RolePath(%q)) = %+v, %v", p.Name, e, err)
		}

		enc, err := layout.EncodeFile(p)
		if err != nil {
			t.Fatalf("EncodeFile of an accepted project config: %v", err)
		}
		p2, err := layout.ParseProjectConfig(enc)
		if err != nil {
			t.Fatalf("re-encoded project config is refused: %v\n%s", err, enc)
		}
		if !p2.Created.Equal(p.Created) {
			t.Fatalf("round trip changed created: %v -> %v", p.Created, p2.Created)
		}
		a, b := *p, *p2
		a.Created, b.Created = time.Time{}, time.Time{}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip changed the project config:\n%+v\n%+v", *p, *p2)
		}
		enc2, err := layout.EncodeFile(p2)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable (%v):\n%s\n%s", err, enc, enc2)
		}
	})
}

func FuzzClassify(f *testing.F) {
	f.Add("metadata/index/idx_a.json")
	f.Add("metadata/projects/2c/foo.json")
	f.Fuzz(func(t *testing.T, p string) {
		e, err := layout.Classify(p)
		if err != nil {
			if e != (layout.Entry{}) {
				t.Fatalf("Classify(%q) returned %+v with error %v", p, e, err)
			}
			return
		}
		if e.Kind == layout.KindUnknown {
			t.Fatalf("Classify(%q) accepted with KindUnknown", p)
		}
		// Every accepted path is a clean, relative, ASCII tree path.
		if !isASCII(p) || path.Clean(p) != p || strings.HasPrefix(p, "/") {
			t.Fatalf("Classify accepted unclean path %q", p)
		}
		for _, comp := range strings.Split(p, "/") {
			if !layout.ValidPathComponent(comp) || strings.HasPrefix(comp, ".") {
				t.Fatalf("Classify(%q) accepted component %q", p, comp)
			}
		}
		// The entry holds enough to rebuild the path.
		var rebuilt string
		switch e.Kind {
		case layout.KindConfig:
			rebuilt = layout.ConfigPath
		case layout.KindReadme:
			rebuilt = layout.ReadmePath
		case layout.KindRoot:
			if e.Role != layout.RoleRoot {
				t.Fatalf("root entry with role %q", e.Role)
			}
			rebuilt = layout.RootPath
		case layout.KindRootHistory:
			if e.Role != layout.RoleRoot || e.Version < 1 {
				t.Fatalf("root history entry %+v", e)
			}
			rebuilt = layout.RootHistoryPath(e.Version)
		case layout.KindTargets, layout.KindIndexRole, layout.KindProjectRole:
			if layout.RoleKind(e.Role) != e.Kind {
				t.Fatalf("Classify(%q).Kind = %v but RoleKind(%q) = %v", p, e.Kind, e.Role, layout.RoleKind(e.Role))
			}
			if e.Kind == layout.KindProjectRole && e.Project != e.Role {
				t.Fatalf("project role entry %+v", e)
			}
			rebuilt = layout.RolePath(e.Role)
		case layout.KindProjectConfig:
			if !layout.IsNormalizedProjectName(e.Project) {
				t.Fatalf("project config entry %+v", e)
			}
			rebuilt = layout.ProjectConfigPath(e.Project)
		case layout.KindRequest:
			if layout.ValidateRequestID(e.Request) != nil {
				t.Fatalf("request entry %+v", e)
			}
			rebuilt = layout.RequestPath(e.Request)
		case layout.KindRequestRole:
			switch layout.RoleKind(e.Role) {
			case layout.KindRoot, layout.KindTargets, layout.KindIndexRole, layout.KindProjectRole:
			default:
				t.Fatalf("request role entry with role %q", e.Role)
			}
			if layout.ValidateRequestID(e.Request) != nil {
				t.Fatalf("request role entry %+v", e)
			}
			rebuilt = layout.RequestRolePath(e.Request, e.Role)
		case layout.KindArtifact:
			rebuilt = layout.ArtifactPath(e.SHA256)
		case layout.KindRequestArtifact:
			if layout.ValidateRequestID(e.Request) != nil {
				t.Fatalf("request artifact entry %+v", e)
			}
			rebuilt = layout.RequestArtifactPath(e.Request, e.SHA256)
		default:
			t.Fatalf("Classify(%q) returned unknown kind %d", p, e.Kind)
		}
		if rebuilt != p {
			t.Fatalf("Classify(%q) = %+v, which rebuilds to %q", p, e, rebuilt)
		}
		if e.SHA256 != "" && (len(e.SHA256) != 64 || strings.Trim(e.SHA256, "0123456789abcdef") != "") {
			t.Fatalf("Classify(%q) returned digest %q", p, e.SHA256)
		}
		// Classify is a function of the path.
		if e2, err := layout.Classify(rebuilt); err != nil || e2 != e {
			t.Fatalf("Classify not deterministic on %q", p)
		}
	})
}

func FuzzNormalizeProjectName(f *testing.F) {
	f.Add("Hello_World")
	f.Add("root")
	f.Fuzz(func(t *testing.T, name string) {
		n, err := layout.NormalizeProjectName(name)
		want, wantOK := referenceNormalize(name)
		if (err == nil) != wantOK {
			t.Fatalf("NormalizeProjectName(%q) = %q, %v; reference says ok=%v", name, n, err, wantOK)
		}
		if err != nil {
			var ne *layout.NameError
			if n != "" || !errors.As(err, &ne) || ne.Kind != "project name" || ne.Value != name {
				t.Fatalf("NormalizeProjectName(%q) = %q, %#v", name, n, err)
			}
			if layout.IsNormalizedProjectName(name) {
				t.Fatalf("IsNormalizedProjectName(%q) = true for a refused name", name)
			}
			return
		}
		if n != want {
			t.Fatalf("NormalizeProjectName(%q) = %q, reference %q", name, n, want)
		}
		if !normalizedNameRE.MatchString(n) || strings.Contains(n, "--") || len(n) > len(name) {
			t.Fatalf("NormalizeProjectName(%q) = %q is not a normalized name", name, n)
		}
		if !layout.IsNormalizedProjectName(n) {
			t.Fatalf("IsNormalizedProjectName(%q) = false", n)
		}
		if again, err := layout.NormalizeProjectName(n); err != nil || again != n {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", name, n, again, err)
		}
		if layout.IsNormalizedProjectName(name) != (name == n) {
			t.Fatalf("IsNormalizedProjectName(%q) = %v, normalized form %q", name, !(name == n), n)
		}
		if layout.IsReservedRoleName(n) || strings.HasPrefix(n, layout.IndexRolePrefix) {
			t.Fatalf("normalized name %q collides with a role name", n)
		}
		// Every normalized name fits the layout: a project role, a project
		// config, and an index role for each of its prefixes.
		if layout.RoleKind(n) != layout.KindProjectRole {
			t.Fatalf("RoleKind(%q) = %v", n, layout.RoleKind(n))
		}
		if e, err := layout.Classify(layout.RolePath(n)); err != nil || e.Kind != layout.KindProjectRole || e.Role != n {
			t.Fatalf("Classify(RolePath(%q)) = %+v, %v", n, e, err)
		}
		if e, err := layout.Classify(layout.ProjectConfigPath(n)); err != nil || e.Kind != layout.KindProjectConfig || e.Project != n {
			t.Fatalf("Classify(ProjectConfigPath(%q)) = %+v, %v", n, e, err)
		}
		for i := 1; i <= len(n); i++ {
			if pre, ok := layout.IndexPrefix(layout.IndexRoleName(n[:i])); !ok || pre != n[:i] {
				t.Fatalf("no index role for prefix %q of %q", n[:i], n)
			}
		}
		if _, _, _, err := layout.ParseTargetPath(layout.TargetPath(n, "1.0", "f")); err != nil {
			t.Fatalf("ParseTargetPath for project %q: %v", n, err)
		}
	})
}

func FuzzParseTargetCustom(f *testing.F) {
	f.Add([]byte(`{"tufgit":{"yanked":true,"yank_reason":"x"}}`))
	f.Add([]byte(`{"tufgit":{"yank_reason":"x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tc, err := layout.ParseTargetCustom(data)
		if err != nil {
			if tc != nil {
				t.Fatalf("ParseTargetCustom returned %+v with error %v", tc, err)
			}
			return
		}
		if tc == nil {
			t.Fatal("ParseTargetCustom returned nil without an error")
		}
		if tc.YankReason != "" && !tc.Yanked {
			t.Fatalf("accepted a yank reason without yanked: %+v", *tc)
		}
		if len(tc.YankReason) > 500 {
			t.Fatalf("accepted a %d-byte yank reason", len(tc.YankReason))
		}
		if len(data) > 0 && string(data) != "null" {
			if err := layout.CheckJSON(data); err != nil {
				t.Fatalf("ParseTargetCustom accepted input CheckJSON refuses: %v", err)
			}
			// Only an object (or null) is accepted as custom data.
			v, err := decodeAny(data)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			obj, isObj := v.(map[string]any)
			if !isObj && v != nil {
				t.Fatalf("accepted non-object custom data %T", v)
			}
			if _, has := obj[layout.CustomKey]; !has && *tc != (layout.TargetCustom{}) {
				t.Fatalf("no %q key but got %+v", layout.CustomKey, *tc)
			}
		}

		// Round trip: tufgit's part, alone or beside other keys, parses
		// back to the same value.
		for _, wrap := range []map[string]any{
			{layout.CustomKey: tc},
			{layout.CustomKey: tc, "other": map[string]any{"tufgit": "ignored"}},
		} {
			enc, err := json.Marshal(wrap)
			if err != nil {
				t.Fatal(err)
			}
			tc2, err := layout.ParseTargetCustom(enc)
			if err != nil {
				t.Fatalf("re-encoded custom %s is refused: %v", enc, err)
			}
			if *tc2 != *tc {
				t.Fatalf("round trip changed custom: %+v -> %+v", *tc, *tc2)
			}
		}
	})
}

func FuzzCanonicalVersion(f *testing.F) {
	for _, s := range []string{"v1.0", "01.0", "1.0", "V1.00.000-rc.01+b.007", "vendor", "latest", "0", "v", "1.0rc01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		c := layout.CanonicalVersion(v)
		if again := layout.CanonicalVersion(c); again != c {
			t.Fatalf("not idempotent: %q -> %q -> %q", v, c, again)
		}
		if !layout.EquivalentVersions(v, c) || !layout.EquivalentVersions(c, v) {
			t.Fatalf("%q is not equivalent to its canonical form %q", v, c)
		}
		if len(c) > len(v) {
			t.Fatalf("CanonicalVersion(%q) = %q grew", v, c)
		}
		if layout.ValidateVersion(v) != nil {
			return
		}
		// A valid version's canonical form is valid, and so are the
		// spellings it stands for.
		if err := layout.ValidateVersion(c); err != nil {
			t.Fatalf("CanonicalVersion(%q) = %q, invalid: %v", v, c, err)
		}
		if v[0] >= '0' && v[0] <= '9' && !layout.EquivalentVersions("v"+v, v) {
			t.Fatalf("v%s is not equivalent to %s", v, v)
		}
		first := strings.FieldsFunc(v, func(r rune) bool { return r == '.' || r == '-' || r == '+' })[0]
		if strings.Trim(first, "0123456789") == "" && !layout.EquivalentVersions("0"+v, v) {
			t.Fatalf("0%s is not equivalent to %s", v, v)
		}
	})
}
