package layout_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tufgit/tufgit/pkg/layout"
)

// testKeyID is a well-formed keyid (64 lowercase hex digits).
var testKeyID = strings.Repeat("ab", 32)

// testSHA is a well-formed lowercase hex sha256.
const testSHA = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"

// ---------------------------------------------------------------------------
// Names

func TestNormalizeProjectName(t *testing.T) {
	ok := []struct{ in, want string }{
		{"a", "a"},
		{"0", "0"},
		{"hello-world", "hello-world"},
		{"Hello_World", "hello-world"},
		{"hello.world", "hello-world"},
		{"hello--world", "hello-world"},
		{"HELLO__WORLD", "hello-world"},
		{"hello._-world", "hello-world"},
		{"a..b", "a-b"},
		{"a.b_c-d", "a-b-c-d"},
		{"Django", "django"},
		{"zope.interface", "zope-interface"},
		{"ROOT2", "root2"},
		{"root-x", "root-x"},
		{"rootx", "rootx"},
		{"request", "request"}, // see TestKnownBugs
		{"1", "1"},
		{"0abc9", "0abc9"},
		{strings.Repeat("a", layout.MaxProjectNameLen), strings.Repeat("a", layout.MaxProjectNameLen)},
		{strings.Repeat("A", layout.MaxProjectNameLen), strings.Repeat("a", layout.MaxProjectNameLen)},
	}
	for _, c := range ok {
		got, err := layout.NormalizeProjectName(c.in)
		if err != nil {
			t.Errorf("NormalizeProjectName(%q): unexpected error %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("NormalizeProjectName(%q) = %q, want %q", c.in, got, c.want)
		}
		if !layout.IsNormalizedProjectName(got) {
			t.Errorf("IsNormalizedProjectName(%q) = false for a normalized name", got)
		}
		if again, err := layout.NormalizeProjectName(got); err != nil || again != got {
			t.Errorf("NormalizeProjectName not idempotent on %q: %q, %v", got, again, err)
		}
		if (got == c.in) != layout.IsNormalizedProjectName(c.in) {
			t.Errorf("IsNormalizedProjectName(%q) = %v, want %v", c.in, !(got == c.in), got == c.in)
		}
	}

	bad := []string{
		"",
		"-x",
		"x-",
		"_x",
		"x_",
		".x",
		"x.",
		"-",
		".",
		"..",
		"a/b",
		"a\\b",
		"a b",
		" a",
		"a ",
		"a\x00b",
		"a\nb",
		"a\tb",
		"a+b",
		"a@b",
		"a:b",
		"a*b",
		"héllo",
		"ÄBC",
		"日本",
		"a\u200bb",
		"\xff",
		"root",
		"targets",
		"snapshot",
		"timestamp",
		"Root",
		"TARGETS",
		"Snapshot",
		"TimeStamp",
		strings.Repeat("a", layout.MaxProjectNameLen+1),
		strings.Repeat("a-", 33), // ends with '-' and too long
		"a" + strings.Repeat(".", 63) + "b",
	}
	for _, in := range bad {
		got, err := layout.NormalizeProjectName(in)
		if err == nil {
			t.Errorf("NormalizeProjectName(%q) = %q, want an error", in, got)
			continue
		}
		if got != "" {
			t.Errorf("NormalizeProjectName(%q) returned %q with an error", in, got)
		}
		var ne *layout.NameError
		if !errors.As(err, &ne) || ne.Kind != "project name" || ne.Value != in {
			t.Errorf("NormalizeProjectName(%q): error %#v is not a project-name NameError", in, err)
		}
		if layout.IsNormalizedProjectName(in) {
			t.Errorf("IsNormalizedProjectName(%q) = true for an invalid name", in)
		}
	}
}

func TestIsNormalizedProjectName(t *testing.T) {
	cases := map[string]bool{
		"a":           true,
		"hello-world": true,
		"a1-b2-c3":    true,
		"Hello":       false,
		"hello_world": false,
		"hello.world": false,
		"hello--x":    false,
		"root":        false,
		"idx_a":       false,
		"":            false,
	}
	for in, want := range cases {
		if got := layout.IsNormalizedProjectName(in); got != want {
			t.Errorf("IsNormalizedProjectName(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestIsReservedRoleName(t *testing.T) {
	for _, r := range []string{"root", "targets", "snapshot", "timestamp"} {
		if !layout.IsReservedRoleName(r) {
			t.Errorf("IsReservedRoleName(%q) = false", r)
		}
	}
	for _, r := range []string{"", "Root", "roots", "idx_a", "foo", "mirrors"} {
		if layout.IsReservedRoleName(r) {
			t.Errorf("IsReservedRoleName(%q) = true", r)
		}
	}
}

func TestValidateVersion(t *testing.T) {
	ok := []string{
		"1",
		"1.0.0",
		"1.0.0-rc.1+build.5",
		"2024.1",
		"1.0rc1",
		"1.0.post1",
		"v1.2.3",
		"1.0.0-alpha",
		"1.0.0+20130313144700",
		"1.0.0-x-y-z.--",
		"0",
		strings.Repeat("9", layout.MaxVersionLen),
	}
	for _, v := range ok {
		if err := layout.ValidateVersion(v); err != nil {
			t.Errorf("ValidateVersion(%q): unexpected error %v", v, err)
		}
	}
	bad := []string{
		"",
		"1..2",
		"1.",
		".1",
		".",
		"..",
		"../x",
		"1/2",
		"1\\2",
		"1.0\n",
		"1.0\r",
		"1.0\x00",
		"1.0\x7f",
		"\t1.0",
		"1 0",
		"-1",
		"+1",
		"1_0",
		"1~0",
		"1.0é",
		"1:0",
		strings.Repeat("9", layout.MaxVersionLen+1),
	}
	for _, v := range bad {
		err := layout.ValidateVersion(v)
		if err == nil {
			t.Errorf("ValidateVersion(%q): want an error", v)
			continue
		}
		var ne *layout.NameError
		if !errors.As(err, &ne) || ne.Kind != "version" {
			t.Errorf("ValidateVersion(%q): error %#v is not a version NameError", v, err)
		}
	}
}

func TestValidateFilename(t *testing.T) {
	ok := []string{
		"a",
		"pkg-1.0.tar.gz",
		"pkg_name-1.0-py3-none-any.whl",
		"a+b",
		"A.B",
		"0",
		"a..b", // a plain name: no separator, so not a path
		strings.Repeat("f", layout.MaxFilenameLen),
	}
	for _, f := range ok {
		if err := layout.ValidateFilename(f); err != nil {
			t.Errorf("ValidateFilename(%q): unexpected error %v", f, err)
		}
	}
	bad := []string{
		"",
		".",
		"..",
		".hidden",
		"_x",
		"-x",
		"+x",
		"a/b",
		"a\\b",
		"/abs",
		"a b",
		" a",
		"a ",
		"a\x00",
		"a\n",
		"a:b",
		"é",
		"a*",
		strings.Repeat("f", layout.MaxFilenameLen+1),
	}
	for _, f := range bad {
		err := layout.ValidateFilename(f)
		if err == nil {
			t.Errorf("ValidateFilename(%q): want an error", f)
			continue
		}
		var ne *layout.NameError
		if !errors.As(err, &ne) || ne.Kind != "filename" {
			t.Errorf("ValidateFilename(%q): error %#v is not a filename NameError", f, err)
		}
	}
}

func TestValidateRequestID(t *testing.T) {
	ok := []string{"a", "0", "r-1", "abc-def-123", strings.Repeat("z", layout.MaxRequestIDLen)}
	for _, id := range ok {
		if err := layout.ValidateRequestID(id); err != nil {
			t.Errorf("ValidateRequestID(%q): unexpected error %v", id, err)
		}
	}
	bad := []string{"", "-a", "A", "aB", "a_b", "a.b", "a/b", "..", ".", "a b", "a\x00", "é",
		strings.Repeat("z", layout.MaxRequestIDLen+1)}
	for _, id := range bad {
		err := layout.ValidateRequestID(id)
		if err == nil {
			t.Errorf("ValidateRequestID(%q): want an error", id)
			continue
		}
		var ne *layout.NameError
		if !errors.As(err, &ne) || ne.Kind != "request id" {
			t.Errorf("ValidateRequestID(%q): error %#v is not a request-id NameError", id, err)
		}
	}
}

func TestNameErrorMessage(t *testing.T) {
	long := strings.Repeat("x", 200) + "\xff"
	err := &layout.NameError{Kind: "version", Value: long, Reason: "because"}
	msg := err.Error()
	if !strings.HasPrefix(msg, "invalid version ") || !strings.HasSuffix(msg, ": because") {
		t.Errorf("NameError.Error() = %q", msg)
	}
	if len(msg) > 150 {
		t.Errorf("NameError.Error() does not shorten long values: %d bytes", len(msg))
	}
	if !utf8.ValidString(msg) {
		t.Errorf("NameError.Error() is not valid UTF-8 text: %q", msg)
	}
}

func TestTargetPath(t *testing.T) {
	if got := layout.TargetPath("foo", "1.0", "foo-1.0.tar.gz"); got != "foo/1.0/foo-1.0.tar.gz" {
		t.Errorf("TargetPath = %q", got)
	}
	ok := []struct{ in, p, v, f string }{
		{"foo/1.0/foo-1.0.tar.gz", "foo", "1.0", "foo-1.0.tar.gz"},
		{"hello-world/1.0.0-rc.1+b.5/x", "hello-world", "1.0.0-rc.1+b.5", "x"},
	}
	for _, c := range ok {
		p, v, f, err := layout.ParseTargetPath(c.in)
		if err != nil || p != c.p || v != c.v || f != c.f {
			t.Errorf("ParseTargetPath(%q) = %q, %q, %q, %v", c.in, p, v, f, err)
		}
		if got := layout.TargetPath(p, v, f); got != c.in {
			t.Errorf("TargetPath(ParseTargetPath(%q)) = %q", c.in, got)
		}
	}
	bad := []string{
		"",
		"foo",
		"foo/1.0",
		"foo/1.0/a/b",
		"/foo/1.0/a",
		"foo/1.0/a/",
		"Foo/1.0/a",
		"foo_bar/1.0/a",
		"root/1.0/a",
		"foo/../a",
		"foo/1..0/a",
		"foo/1.0/..",
		"foo/1.0/.hidden",
		"foo/1.0/a\\b",
		"foo//a",
		"foo/1.0/a\x00",
	}
	for _, in := range bad {
		if p, v, f, err := layout.ParseTargetPath(in); err == nil {
			t.Errorf("ParseTargetPath(%q) = %q, %q, %q, want an error", in, p, v, f)
		}
	}
}

func TestIndexPrefix(t *testing.T) {
	ok := map[string]string{
		"idx_a":   "a",
		"idx_0":   "0",
		"idx_ab":  "ab",
		"idx_a-":  "a-",
		"idx_a-b": "a-b",
		"idx_" + strings.Repeat("z", layout.MaxProjectNameLen): strings.Repeat("z", layout.MaxProjectNameLen),
	}
	for role, want := range ok {
		got, isIdx := layout.IndexPrefix(role)
		if !isIdx || got != want {
			t.Errorf("IndexPrefix(%q) = %q, %v; want %q, true", role, got, isIdx, want)
		}
		if layout.IndexRoleName(got) != role {
			t.Errorf("IndexRoleName(%q) = %q, want %q", got, layout.IndexRoleName(got), role)
		}
	}
	bad := []string{"", "idx_", "idx_-", "idx_-a", "idx_A", "idx_a_b", "idx_a.b", "idx_a/b", "IDX_a", "idxa", "foo", "targets",
		"idx_" + strings.Repeat("z", layout.MaxProjectNameLen+1)}
	for _, role := range bad {
		if got, isIdx := layout.IndexPrefix(role); isIdx || got != "" {
			t.Errorf("IndexPrefix(%q) = %q, %v; want \"\", false", role, got, isIdx)
		}
	}
	if got := layout.IndexPathPattern("ab"); got != "ab*/*/*" {
		t.Errorf("IndexPathPattern = %q", got)
	}
	if got := layout.ProjectPathPattern("foo"); got != "foo/*/*" {
		t.Errorf("ProjectPathPattern = %q", got)
	}
}

func TestAlphabets(t *testing.T) {
	// Every character a normalized name may contain is in IndexAlphabet,
	// FirstChars is IndexAlphabet without '-', and neither repeats.
	if layout.IndexAlphabet != layout.FirstChars+"-" {
		t.Errorf("IndexAlphabet %q is not FirstChars+\"-\"", layout.IndexAlphabet)
	}
	seen := map[rune]bool{}
	for _, c := range layout.IndexAlphabet {
		if seen[c] {
			t.Errorf("IndexAlphabet repeats %q", c)
		}
		seen[c] = true
	}
	for _, c := range layout.FirstChars {
		if _, err := layout.NormalizeProjectName(string(c)); err != nil {
			t.Errorf("single-character name %q is refused: %v", c, err)
		}
		if _, ok := layout.IndexPrefix(layout.IndexRoleName(string(c))); !ok {
			t.Errorf("index role for %q is not well formed", c)
		}
	}
}

func TestShard(t *testing.T) {
	// First byte of sha256 of the name, in lowercase hex.
	known := map[string]string{"": "e3", "abc": "ba", "foo": "2c"}
	for name, want := range known {
		if got := layout.Shard(name); got != want {
			t.Errorf("Shard(%q) = %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"a", "hello-world", "x-y-z"} {
		s := layout.Shard(name)
		if len(s) != 2 || strings.ToLower(s) != s || strings.Trim(s, "0123456789abcdef") != "" {
			t.Errorf("Shard(%q) = %q is not two lowercase hex digits", name, s)
		}
	}
}

// ---------------------------------------------------------------------------
// Paths

func TestPathHelpers(t *testing.T) {
	cases := map[string]string{
		layout.RootHistoryPath(1):                         "metadata/root_history/1.root.json",
		layout.RootHistoryPath(12):                        "metadata/root_history/12.root.json",
		layout.RolePath("targets"):                        "metadata/targets.json",
		layout.RolePath("idx_a"):                          "metadata/index/idx_a.json",
		layout.RolePath("foo"):                            "metadata/projects/2c/foo.json",
		layout.RetiredRolePath("foo"):                     "metadata/retired/2c/foo.json",
		layout.RetiredGenerationPath("foo", 1):            "metadata/retired/2c/foo.json",
		layout.RetiredGenerationPath("foo", 2):            "metadata/retired/2c/foo.2.json",
		layout.RetiredGenerationPath("foo", 12):           "metadata/retired/2c/foo.12.json",
		layout.ProjectConfigPath("foo"):                   "projects/2c/foo.json",
		layout.RequestDir("r1"):                           "requests/r1",
		layout.RequestPath("r1"):                          "requests/r1/request.json",
		layout.RequestRolePath("r1", "idx_a"):             "requests/r1/metadata/idx_a.json",
		layout.RequestArtifactPath("r1", testSHA):         "requests/r1/artifacts/" + testSHA,
		layout.ArtifactPath(testSHA):                      "artifacts/sha256/ab/cd/" + testSHA,
		layout.RolePath("hello-world"):                    "metadata/projects/" + layout.Shard("hello-world") + "/hello-world.json",
		layout.ProjectConfigPath("hello-world"):           "projects/" + layout.Shard("hello-world") + "/hello-world.json",
		layout.RequestRolePath("abc", layout.RoleRoot):    "requests/abc/metadata/root.json",
		layout.RequestRolePath("abc", layout.RoleTargets): "requests/abc/metadata/targets.json",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestKindString(t *testing.T) {
	kinds := []layout.Kind{
		layout.KindUnknown, layout.KindConfig, layout.KindReadme, layout.KindRoot, layout.KindRootHistory,
		layout.KindTargets, layout.KindIndexRole, layout.KindProjectRole, layout.KindProjectConfig,
		layout.KindRequest, layout.KindRequestRole, layout.KindArtifact, layout.KindRequestArtifact,
	}
	seen := map[string]layout.Kind{}
	for _, k := range kinds {
		s := k.String()
		if s == "" {
			t.Errorf("Kind(%d).String() is empty", int(k))
		}
		if prev, dup := seen[s]; dup {
			t.Errorf("Kind(%d) and Kind(%d) share the name %q", int(prev), int(k), s)
		}
		seen[s] = k
	}
	if got := layout.KindUnknown.String(); got != "unknown file" {
		t.Errorf("KindUnknown.String() = %q", got)
	}
	if got := layout.Kind(999).String(); got != "unknown file" {
		t.Errorf("Kind(999).String() = %q", got)
	}
}

func TestClassifyEveryKind(t *testing.T) {
	fooShard := layout.Shard("foo")
	cases := []struct {
		path string
		want layout.Entry
	}{
		{"tufgit.json", layout.Entry{Kind: layout.KindConfig}},
		{"README.md", layout.Entry{Kind: layout.KindReadme}},
		{"metadata/root.json", layout.Entry{Kind: layout.KindRoot, Role: "root"}},
		{"metadata/root_history/1.root.json", layout.Entry{Kind: layout.KindRootHistory, Role: "root", Version: 1}},
		{"metadata/root_history/10.root.json", layout.Entry{Kind: layout.KindRootHistory, Role: "root", Version: 10}},
		{"metadata/root_history/9223372036854775807.root.json", layout.Entry{Kind: layout.KindRootHistory, Role: "root", Version: math.MaxInt64}},
		{"metadata/targets.json", layout.Entry{Kind: layout.KindTargets, Role: "targets"}},
		{"metadata/index/idx_a.json", layout.Entry{Kind: layout.KindIndexRole, Role: "idx_a"}},
		{"metadata/index/idx_a-.json", layout.Entry{Kind: layout.KindIndexRole, Role: "idx_a-"}},
		{"metadata/index/idx_0b.json", layout.Entry{Kind: layout.KindIndexRole, Role: "idx_0b"}},
		{"metadata/projects/" + fooShard + "/foo.json", layout.Entry{Kind: layout.KindProjectRole, Role: "foo", Project: "foo"}},
		{"projects/" + fooShard + "/foo.json", layout.Entry{Kind: layout.KindProjectConfig, Project: "foo"}},
		{"metadata/retired/" + fooShard + "/foo.json", layout.Entry{Kind: layout.KindRetiredRole, Role: "foo", Project: "foo", Generation: 1}},
		{"metadata/retired/" + fooShard + "/foo.2.json", layout.Entry{Kind: layout.KindRetiredRole, Role: "foo", Project: "foo", Generation: 2}},
		{"metadata/retired/" + fooShard + "/foo.100.json", layout.Entry{Kind: layout.KindRetiredRole, Role: "foo", Project: "foo", Generation: 100}},
		{"requests/r-1/request.json", layout.Entry{Kind: layout.KindRequest, Request: "r-1"}},
		{"requests/r-1/metadata/root.json", layout.Entry{Kind: layout.KindRequestRole, Request: "r-1", Role: "root"}},
		{"requests/r-1/metadata/targets.json", layout.Entry{Kind: layout.KindRequestRole, Request: "r-1", Role: "targets"}},
		{"requests/r-1/metadata/idx_a.json", layout.Entry{Kind: layout.KindRequestRole, Request: "r-1", Role: "idx_a"}},
		{"requests/r-1/metadata/foo.json", layout.Entry{Kind: layout.KindRequestRole, Request: "r-1", Role: "foo"}},
		{"requests/r-1/artifacts/" + testSHA, layout.Entry{Kind: layout.KindRequestArtifact, Request: "r-1", SHA256: testSHA}},
		{"artifacts/sha256/ab/cd/" + testSHA, layout.Entry{Kind: layout.KindArtifact, SHA256: testSHA}},
	}
	covered := map[layout.Kind]bool{}
	for _, c := range cases {
		got, err := layout.Classify(c.path)
		if err != nil {
			t.Errorf("Classify(%q): unexpected error %v", c.path, err)
			continue
		}
		if got != c.want {
			t.Errorf("Classify(%q) = %+v, want %+v", c.path, got, c.want)
		}
		covered[got.Kind] = true
	}
	for k := layout.KindConfig; k <= layout.KindRequestArtifact; k++ {
		if !covered[k] {
			t.Errorf("no Classify case for %v", k)
		}
	}
}

func TestClassifyRefuses(t *testing.T) {
	fooShard := layout.Shard("foo")
	wrongShard := "00"
	if fooShard == wrongShard {
		wrongShard = "01"
	}
	upperSHA := strings.ToUpper(testSHA)
	bad := []string{
		"",
		"/",
		"x",
		"other.txt",
		"TUFGIT.json",
		"tufgit.json/",
		"/tufgit.json",
		"./tufgit.json",
		"tufgit.json/x",
		"readme.md",
		"README",
		"metadata",
		"metadata/",
		"metadata/root.json/",
		"metadata/snapshot.json",
		"metadata/timestamp.json",
		"metadata/1.root.json",
		"metadata/foo.json",
		"metadata/../tufgit.json",
		"metadata//root.json",
		// root history
		"metadata/root_history/01.root.json",
		"metadata/root_history/0.root.json",
		"metadata/root_history/-1.root.json",
		"metadata/root_history/+1.root.json",
		"metadata/root_history/1.json",
		"metadata/root_history/1.root.json.bak",
		"metadata/root_history/.root.json",
		"metadata/root_history/abc.root.json",
		"metadata/root_history/1e3.root.json",
		"metadata/root_history/ 1.root.json",
		"metadata/root_history/9223372036854775808.root.json",
		"metadata/root_history/1.root.json/x",
		"metadata/root_history/x/1.root.json",
		// index roles
		"metadata/index/idx_.json",
		"metadata/index/idx_A.json",
		"metadata/index/idx_-a.json",
		"metadata/index/idx_a_b.json",
		"metadata/index/idx_a",
		"metadata/index/idx_a.JSON",
		"metadata/index/foo.json",
		"metadata/index/targets.json",
		"metadata/index/x/idx_a.json",
		// project roles
		"metadata/projects/" + wrongShard + "/foo.json",
		"metadata/projects/" + strings.ToUpper(layout.Shard("hello-world")) + "/hello-world.json",
		"metadata/projects/2C/foo.json",
		"metadata/projects/" + fooShard + "/Foo.json",
		"metadata/projects/" + fooShard + "/foo.JSON",
		"metadata/projects/" + fooShard + "/foo",
		"metadata/projects/" + fooShard + "/foo.json/x",
		"metadata/projects/foo.json",
		"metadata/projects/" + fooShard + "/..json",
		"metadata/projects/" + layout.Shard("root") + "/root.json",
		"metadata/projects/" + layout.Shard("idx_a") + "/idx_a.json",
		"metadata/projects/" + layout.Shard("foo_bar") + "/foo_bar.json",
		"metadata/projects/" + layout.Shard("") + "/.json",
		// retired roles: generation 1 is NAME.json, then NAME.N.json
		"metadata/retired/" + wrongShard + "/foo.json",
		"metadata/retired/" + wrongShard + "/foo.2.json",
		"metadata/retired/" + fooShard + "/foo.1.json",
		"metadata/retired/" + fooShard + "/foo.0.json",
		"metadata/retired/" + fooShard + "/foo.02.json",
		"metadata/retired/" + fooShard + "/foo.+2.json",
		"metadata/retired/" + fooShard + "/foo.101.json",
		"metadata/retired/" + fooShard + "/foo.x.json",
		"metadata/retired/" + fooShard + "/foo..json",
		"metadata/retired/" + fooShard + "/foo.2.2.json",
		"metadata/retired/" + fooShard + "/Foo.2.json",
		"metadata/retired/" + layout.Shard("") + "/.2.json",
		"metadata/retired/" + layout.Shard("foo.bar") + "/foo.bar.json",
		// project configs
		"projects/" + wrongShard + "/foo.json",
		"projects/2C/foo.json",
		"projects/" + fooShard + "/Foo.json",
		"projects/" + fooShard + "/foo",
		"projects/foo.json",
		"projects/" + fooShard + "/foo.json/x",
		"projects/" + layout.Shard("targets") + "/targets.json",
		"projects/" + layout.Shard("a..b") + "/a..b.json",
		// requests
		"requests",
		"requests/r1",
		"requests/R1/request.json",
		"requests/-a/request.json",
		"requests/a_b/request.json",
		"requests/../request.json",
		"requests/a/other.txt",
		"requests/a/snapshot.json",
		"requests/a/timestamp.json",
		"requests/a/idx_.json",
		"requests/a/Foo.json",
		"requests/a/.json",
		"requests/a/artifacts",
		"requests/a/artifacts/abc",
		"requests/a/artifacts/" + upperSHA,
		"requests/a/artifacts/" + testSHA + "/x",
		"requests/A/artifacts/" + testSHA,
		"requests/a/blobs/" + testSHA,
		"requests/a/b/c/d",
		// artifacts
		"artifacts/sha256/ab/cd/" + upperSHA,
		"artifacts/sha256/AB/CD/" + upperSHA,
		"artifacts/sha256/ab/ce/" + testSHA,
		"artifacts/sha256/ac/cd/" + testSHA,
		"artifacts/sha256/abcd/" + testSHA,
		"artifacts/sha256/ab/cd/" + testSHA[:63],
		"artifacts/sha256/ab/cd/" + testSHA + "0",
		"artifacts/sha512/ab/cd/" + testSHA,
		"artifacts/sha256/ab/cd/" + testSHA + "/",
		"artifacts/" + testSHA,
	}
	for _, p := range bad {
		e, err := layout.Classify(p)
		if err == nil {
			t.Errorf("Classify(%q) = %+v, want an error", p, e)
			continue
		}
		if e != (layout.Entry{}) {
			t.Errorf("Classify(%q) returned %+v with an error", p, e)
		}
	}
}

func TestRolePathClassifyRoundTrip(t *testing.T) {
	roles := []string{
		"targets",
		"idx_a", "idx_0", "idx_z", "idx_a-", "idx_ab", "idx_a-b", "idx_" + strings.Repeat("q", layout.MaxProjectNameLen),
		"a", "0", "foo", "hello-world", "x-1", "snapshot2", strings.Repeat("p", layout.MaxProjectNameLen),
	}
	for _, role := range roles {
		p := layout.RolePath(role)
		e, err := layout.Classify(p)
		if err != nil {
			t.Errorf("Classify(RolePath(%q) = %q): %v", role, p, err)
			continue
		}
		if e.Role != role {
			t.Errorf("Classify(RolePath(%q)).Role = %q", role, e.Role)
		}
		if e.Kind != layout.RoleKind(role) {
			t.Errorf("Classify(RolePath(%q)).Kind = %v, RoleKind = %v", role, e.Kind, layout.RoleKind(role))
		}
		if e.Kind == layout.KindProjectRole && e.Project != role {
			t.Errorf("Classify(RolePath(%q)).Project = %q", role, e.Project)
		}
		// The same role proposed in a request.
		rp := layout.RequestRolePath("req-1", role)
		re, err := layout.Classify(rp)
		if err != nil || re.Kind != layout.KindRequestRole || re.Role != role || re.Request != "req-1" {
			t.Errorf("Classify(RequestRolePath(req-1, %q) = %q) = %+v, %v", role, rp, re, err)
		}
	}
	// Root is proposed in requests too.
	if e, err := layout.Classify(layout.RequestRolePath("r", "root")); err != nil || e.Kind != layout.KindRequestRole || e.Role != "root" {
		t.Errorf("Classify(RequestRolePath(r, root)) = %+v, %v", e, err)
	}

	for _, v := range []int64{1, 2, 10, 99, 1 << 40, math.MaxInt64} {
		p := layout.RootHistoryPath(v)
		e, err := layout.Classify(p)
		if err != nil || e.Kind != layout.KindRootHistory || e.Version != v || e.Role != layout.RoleRoot {
			t.Errorf("Classify(RootHistoryPath(%d) = %q) = %+v, %v", v, p, e, err)
		}
	}
	for _, name := range []string{"a", "foo", "hello-world", "0-0"} {
		p := layout.ProjectConfigPath(name)
		e, err := layout.Classify(p)
		if err != nil || e.Kind != layout.KindProjectConfig || e.Project != name {
			t.Errorf("Classify(ProjectConfigPath(%q) = %q) = %+v, %v", name, p, e, err)
		}
	}
	for _, id := range []string{"a", "r-1", "0123"} {
		if e, err := layout.Classify(layout.RequestPath(id)); err != nil || e.Kind != layout.KindRequest || e.Request != id {
			t.Errorf("Classify(RequestPath(%q)) = %+v, %v", id, e, err)
		}
		if e, err := layout.Classify(layout.RequestArtifactPath(id, testSHA)); err != nil || e.Kind != layout.KindRequestArtifact || e.Request != id || e.SHA256 != testSHA {
			t.Errorf("Classify(RequestArtifactPath(%q)) = %+v, %v", id, e, err)
		}
	}
	for _, sha := range []string{testSHA, strings.Repeat("0", 64), strings.Repeat("f", 64)} {
		if e, err := layout.Classify(layout.ArtifactPath(sha)); err != nil || e.Kind != layout.KindArtifact || e.SHA256 != sha {
			t.Errorf("Classify(ArtifactPath(%q)) = %+v, %v", sha, e, err)
		}
	}
}

func TestRoleKind(t *testing.T) {
	cases := map[string]layout.Kind{
		"root":        layout.KindRoot,
		"targets":     layout.KindTargets,
		"idx_a":       layout.KindIndexRole,
		"idx_a-b":     layout.KindIndexRole,
		"foo":         layout.KindProjectRole,
		"hello-world": layout.KindProjectRole,
		"snapshot":    layout.KindUnknown,
		"timestamp":   layout.KindUnknown,
		"idx_":        layout.KindUnknown,
		"Foo":         layout.KindUnknown,
		"foo_bar":     layout.KindUnknown,
		"":            layout.KindUnknown,
	}
	for role, want := range cases {
		if got := layout.RoleKind(role); got != want {
			t.Errorf("RoleKind(%q) = %v, want %v", role, got, want)
		}
	}
}

func TestValidPathComponent(t *testing.T) {
	for _, s := range []string{"a", "a.json", "...", ".hidden", "a b", "é"} {
		if !layout.ValidPathComponent(s) {
			t.Errorf("ValidPathComponent(%q) = false", s)
		}
	}
	for _, s := range []string{"", ".", "..", "a/b", "/", "a\\b", "a\x00", "\x1f", "a\x7f", "a\nb", "\t"} {
		if layout.ValidPathComponent(s) {
			t.Errorf("ValidPathComponent(%q) = true", s)
		}
	}
}

// ---------------------------------------------------------------------------
// Strict JSON

func nestedArrays(n int) string {
	return strings.Repeat("[", n) + strings.Repeat("]", n)
}

func nestedObjects(n int) string {
	return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n)
}

func TestCheckJSON(t *testing.T) {
	ok := []string{
		`{}`,
		`[]`,
		`1`,
		`"x"`,
		`null`,
		`true`,
		` {"a":1} `,
		"{\"a\":1}\n",
		`{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`,
		`{"a":{"x":1},"b":{"x":1}}`,
		`{"A":1,"a":2}`, // distinct keys to a case-sensitive reader
		`[1,1,1]`,
		`{"":1}`,
		`1e400`,
		`123456789012345678901234567890`,
		`"\u00e9\ud83d\ude00"`,
		nestedArrays(layout.MaxJSONDepth),
		nestedObjects(layout.MaxJSONDepth),
	}
	for _, s := range ok {
		if err := layout.CheckJSON([]byte(s)); err != nil {
			t.Errorf("CheckJSON(%.80q): unexpected error %v", s, err)
		}
	}
	bad := []string{
		``,
		` `,
		`{`,
		`{"a":1,}`,
		`[1,]`,
		`{'a':1}`,
		`{a:1}`,
		`NaN`,
		`01`,
		`{"a":1}{"a":1}`,
		`{} {}`,
		`{}x`,
		`[] []`,
		`1 2`,
		`{"a":1,"a":2}`,
		`{"a":1,"a":1}`,
		`{"a":1,"b":2,"a":3}`,
		`{"x":{"a":1,"a":2}}`,
		`[{"a":1,"a":2}]`,
		`{"x":[1,{"y":{"a":1,"a":2}}]}`,
		`{"a":1,"\u0061":2}`,
		`{"\u00e9":1,"é":2}`,
		`{"\ud800":1,"\udbff":2}`, // both decode to U+FFFD
		"{\"a\":1}\x00",
		"\x00",
		"\"a\x00\"",
		"\"a\nb\"",
		nestedArrays(layout.MaxJSONDepth + 2),
		nestedObjects(layout.MaxJSONDepth + 2),
		nestedArrays(100000),
		strings.Repeat("[", 100000),
	}
	for _, s := range bad {
		if err := layout.CheckJSON([]byte(s)); err == nil {
			t.Errorf("CheckJSON(%.80q): want an error", s)
		}
	}
}

// TestCheckJSONDepthBoundary pins the exact nesting limit: a scalar may sit
// at most MaxJSONDepth containers deep.
func TestCheckJSONDepthBoundary(t *testing.T) {
	for n := layout.MaxJSONDepth - 2; n <= layout.MaxJSONDepth+3; n++ {
		arr := strings.Repeat("[", n) + "1" + strings.Repeat("]", n)
		obj := nestedObjects(n)
		wantOK := n <= layout.MaxJSONDepth
		for _, s := range []string{arr, obj} {
			err := layout.CheckJSON([]byte(s))
			if (err == nil) != wantOK {
				t.Errorf("CheckJSON(depth %d %.10q…): err = %v, want ok=%v", n, s, err, wantOK)
			}
			if err != nil && !strings.Contains(err.Error(), "deeper") {
				t.Errorf("CheckJSON(depth %d): error %q does not mention depth", n, err)
			}
		}
	}
}

func TestCheckJSONErrorsArePrintable(t *testing.T) {
	err := layout.CheckJSON([]byte("{\"" + strings.Repeat("k", 300) + "\":1,\"" + strings.Repeat("k", 300) + "\":2}"))
	if err == nil || !strings.Contains(err.Error(), "duplicate key") {
		t.Fatalf("CheckJSON: %v, want a duplicate key error", err)
	}
	if len(err.Error()) > 200 {
		t.Errorf("duplicate key error is not shortened: %d bytes", len(err.Error()))
	}
}

func TestDecodeStrict(t *testing.T) {
	type inner struct {
		B int `json:"b"`
	}
	type doc struct {
		A string `json:"a"`
		I inner  `json:"i"`
	}
	var d doc
	if err := layout.DecodeStrict([]byte(`{"a":"x","i":{"b":2}}`), &d); err != nil {
		t.Fatalf("DecodeStrict: %v", err)
	}
	if d.A != "x" || d.I.B != 2 {
		t.Errorf("DecodeStrict decoded %+v", d)
	}
	bad := []string{
		`{"a":"x","z":1}`,
		`{"a":"x","i":{"b":2,"c":3}}`,
		`{"a":"x","a":"y"}`,
		`{"i":{"b":1,"b":2}}`,
		`{"a":"x"} {"a":"y"}`,
		`{"a":"x"}x`,
		`{"a":1}`,
		`{"i":{"b":"2"}}`,
		`{"i":{"b":1.5}}`,
		`{"i":{"b":1e400}}`,
		`{"i":{"b":99999999999999999999999}}`,
		`[]`,
		`"x"`,
		nestedObjects(layout.MaxJSONDepth + 2),
		``,
	}
	for _, s := range bad {
		var d doc
		if err := layout.DecodeStrict([]byte(s), &d); err == nil {
			t.Errorf("DecodeStrict(%.80q): want an error, decoded %+v", s, d)
		}
	}
}

func TestEncodeFile(t *testing.T) {
	b, err := layout.EncodeFile(map[string]any{"b": 1, "a": []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"a\": [\n    1\n  ],\n  \"b\": 1\n}\n"
	if string(b) != want {
		t.Errorf("EncodeFile = %q, want %q", b, want)
	}
	if err := layout.CheckJSON(b); err != nil {
		t.Errorf("CheckJSON(EncodeFile(...)): %v", err)
	}
	if _, err := layout.EncodeFile(func() {}); err == nil {
		t.Error("EncodeFile(func) did not fail")
	}
}

// ---------------------------------------------------------------------------
// Durations

func TestParseDuration(t *testing.T) {
	day := 24 * time.Hour
	ok := []struct {
		in   string
		want time.Duration
	}{
		{"365d", 365 * day},
		{"7d", 7 * day},
		{"1d", day},
		{"1d12h", day + 12*time.Hour},
		{"24h", day},
		{"90m", 90 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"1ns", time.Nanosecond},
		{"36500d", 36500 * day},
		{"1d1ns", day + time.Nanosecond},
	}
	for _, c := range ok {
		got, err := layout.ParseDuration(c.in)
		if err != nil {
			t.Errorf("ParseDuration(%q): unexpected error %v", c.in, err)
			continue
		}
		if time.Duration(got) != c.want {
			t.Errorf("ParseDuration(%q) = %v, want %v", c.in, time.Duration(got), c.want)
		}
	}
	bad := []string{
		"",
		"0d",
		"0h",
		"0",
		"-1d",
		"-24h",
		"1d-24h",
		"abc",
		"d",
		"h",
		"1",
		"99999d",
		"36501d",
		"36500d1ns",
		"1000000h",
		"1.5d",
		"1d1d",
		"1dd",
		"1d ",
		" 1d",
		"1D",
		"1w",
		"1y",
		"9223372036854775807d",
		"99999999999999999999h",
		"1d\x00",
	}
	for _, in := range bad {
		if got, err := layout.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, time.Duration(got))
		}
	}
}

func TestDurationString(t *testing.T) {
	day := 24 * time.Hour
	cases := []struct {
		d    time.Duration
		want string
	}{
		{day, "1d"},
		{365 * day, "365d"},
		{36 * time.Hour, "1d12h0m0s"},
		{12 * time.Hour, "12h0m0s"},
		{90 * time.Minute, "1h30m0s"},
		{time.Nanosecond, "1ns"},
		{day + time.Nanosecond, "1d1ns"},
	}
	for _, c := range cases {
		if got := layout.Duration(c.d).String(); got != c.want {
			t.Errorf("Duration(%v).String() = %q, want %q", c.d, got, c.want)
		}
	}
	// String and ParseDuration round trip.
	for _, d := range []time.Duration{
		time.Nanosecond, time.Microsecond + 1, time.Second, 59 * time.Minute, 23*time.Hour + 59*time.Minute,
		day, day + time.Second, 7 * day, 7*day + 3*time.Hour + 4*time.Minute + 5*time.Second + 6,
		365 * day, 36500 * day,
	} {
		s := layout.Duration(d).String()
		back, err := layout.ParseDuration(s)
		if err != nil {
			t.Errorf("ParseDuration(Duration(%v).String() = %q): %v", d, s, err)
			continue
		}
		if time.Duration(back) != d {
			t.Errorf("Duration round trip %v -> %q -> %v", d, s, time.Duration(back))
		}
		if back.String() != s {
			t.Errorf("String not stable: %q -> %q", s, back.String())
		}
	}
}

func TestDurationText(t *testing.T) {
	var v struct {
		D layout.Duration `json:"d"`
	}
	if err := json.Unmarshal([]byte(`{"d":"1d12h"}`), &v); err != nil {
		t.Fatal(err)
	}
	if time.Duration(v.D) != 36*time.Hour {
		t.Errorf("decoded %v", time.Duration(v.D))
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) != `{"d":"1d12h0m0s"}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	for _, s := range []string{`{"d":"0d"}`, `{"d":"x"}`, `{"d":5}`, `{"d":true}`} {
		if err := json.Unmarshal([]byte(s), &v); err == nil {
			t.Errorf("Unmarshal(%s) did not fail", s)
		}
	}
}

func TestExpiryFor(t *testing.T) {
	e := layout.Expiry{Root: 1, Targets: 2, Index: 3, Project: 4, Snapshot: 5, Timestamp: 6}
	cases := map[string]time.Duration{
		"root": 1, "targets": 2, "idx_a": 3, "idx_ab-": 3, "foo": 4, "hello-world": 4, "snapshot": 5, "timestamp": 6,
	}
	for role, want := range cases {
		if got := e.For(role); got != want {
			t.Errorf("Expiry.For(%q) = %v, want %v", role, got, want)
		}
	}
	d := layout.DefaultExpiry()
	if time.Duration(d.Timestamp) > time.Duration(d.Snapshot) || d.Timestamp <= 0 {
		t.Errorf("DefaultExpiry has timestamp %v, snapshot %v", d.Timestamp, d.Snapshot)
	}
}

// ---------------------------------------------------------------------------
// Config

const cfgDay = layout.Duration(24 * time.Hour)

func validConfig() layout.Config {
	c := layout.DefaultConfig()
	c.OnlineKey.KeyID = testKeyID
	return c
}

func encodeConfig(t *testing.T, c layout.Config) []byte {
	t.Helper()
	b, err := layout.EncodeFile(c)
	if err != nil {
		t.Fatalf("EncodeFile: %v", err)
	}
	return b
}

func TestDefaultConfigNeedsKey(t *testing.T) {
	c := layout.DefaultConfig()
	if err := c.Validate(); err == nil {
		t.Error("DefaultConfig without a keyid validates")
	}
	b := encodeConfig(t, c)
	if _, err := layout.ParseConfig(b); err == nil {
		t.Error("ParseConfig accepted a config without a keyid")
	}
}

func TestParseConfigAccepts(t *testing.T) {
	mods := map[string]func(c *layout.Config){
		"default":       func(c *layout.Config) {},
		"name":          func(c *layout.Config) { c.Name = "Example Index ✓" },
		"awskms":        func(c *layout.Config) { c.OnlineKey.URI = "awskms:///arn:aws:kms:us-east-1:1:key/x" },
		"gcpkms":        func(c *layout.Config) { c.OnlineKey.URI = "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k" },
		"azurekms":      func(c *layout.Config) { c.OnlineKey.URI = "azurekms://vault.vault.azure.net/key" },
		"hashivault":    func(c *layout.Config) { c.OnlineKey.URI = "hashivault://key" },
		"mirror https":  func(c *layout.Config) { c.Mirror.URL = "https://example.com/tuf/" },
		"mirror http":   func(c *layout.Config) { c.Mirror.URL = "http://localhost:8080" },
		"store s3":      func(c *layout.Config) { c.Artifacts.Store = "s3://bucket/prefix" },
		"store gs":      func(c *layout.Config) { c.Artifacts.Store = "gs://bucket" },
		"store azblob":  func(c *layout.Config) { c.Artifacts.Store = "azblob://container" },
		"store file":    func(c *layout.Config) { c.Artifacts.Store = "file:///srv/artifacts" },
		"max 1":         func(c *layout.Config) { c.Index.MaxProjects = 1 },
		"max 10000":     func(c *layout.Config) { c.Index.MaxProjects = 10000 },
		"ts == snap":    func(c *layout.Config) { c.Expiry.Timestamp = c.Expiry.Snapshot },
		"sub-day":       func(c *layout.Config) { c.Expiry.Timestamp = layout.Duration(time.Hour) },
		"name 200":      func(c *layout.Config) { c.Name = strings.Repeat("n", 200) },
		"odd durations": func(c *layout.Config) { c.Expiry.Root = layout.Duration(36*time.Hour + 7) },
		"at the caps": func(c *layout.Config) {
			c.Expiry = layout.Expiry{Root: 5 * 365 * cfgDay, Targets: cfgDay, Index: 5 * 365 * cfgDay, Project: cfgDay, Snapshot: 30 * cfgDay, Timestamp: 7 * cfgDay}
		},
		"online minimum": func(c *layout.Config) {
			c.Expiry.Snapshot, c.Expiry.Timestamp = layout.Duration(time.Hour), layout.Duration(time.Hour)
		},
	}
	for name, mod := range mods {
		c := validConfig()
		mod(&c)
		b := encodeConfig(t, c)
		got, err := layout.ParseConfig(b)
		if err != nil {
			t.Errorf("%s: ParseConfig: %v\n%s", name, err, b)
			continue
		}
		if !reflect.DeepEqual(*got, c) {
			t.Errorf("%s: ParseConfig(EncodeFile(c)) = %+v, want %+v", name, *got, c)
		}
		again := encodeConfig(t, *got)
		if string(again) != string(b) {
			t.Errorf("%s: re-encoding differs:\n%s\n%s", name, b, again)
		}
	}
}

func TestParseConfigRefuses(t *testing.T) {
	mods := map[string]func(c *layout.Config){
		"wrong type":           func(c *layout.Config) { c.Type = layout.ProjectConfigType },
		"empty type":           func(c *layout.Config) { c.Type = "" },
		"format_version 0":     func(c *layout.Config) { c.FormatVersion = 0 },
		"format_version 2":     func(c *layout.Config) { c.FormatVersion = 2 },
		"format_version -1":    func(c *layout.Config) { c.FormatVersion = -1 },
		"name too long":        func(c *layout.Config) { c.Name = strings.Repeat("n", 201) },
		"keyid empty":          func(c *layout.Config) { c.OnlineKey.KeyID = "" },
		"keyid upper":          func(c *layout.Config) { c.OnlineKey.KeyID = strings.ToUpper(testKeyID) },
		"keyid short":          func(c *layout.Config) { c.OnlineKey.KeyID = testKeyID[:63] },
		"keyid long":           func(c *layout.Config) { c.OnlineKey.KeyID = testKeyID + "a" },
		"uri file":             func(c *layout.Config) { c.OnlineKey.URI = "file:///etc/key.pem" },
		"uri evil":             func(c *layout.Config) { c.OnlineKey.URI = "evil://x" },
		"uri bare":             func(c *layout.Config) { c.OnlineKey.URI = "awskms" },
		"uri prefix":           func(c *layout.Config) { c.OnlineKey.URI = "xawskms://k" },
		"uri upper":            func(c *layout.Config) { c.OnlineKey.URI = "AWSKMS://k" },
		"mirror ftp":           func(c *layout.Config) { c.Mirror.URL = "ftp://example.com" },
		"mirror no host":       func(c *layout.Config) { c.Mirror.URL = "https://" },
		"mirror relative":      func(c *layout.Config) { c.Mirror.URL = "/tuf" },
		"mirror javascript":    func(c *layout.Config) { c.Mirror.URL = "javascript:alert(1)" },
		"mirror bad":           func(c *layout.Config) { c.Mirror.URL = "http://[::1" },
		"store ftp":            func(c *layout.Config) { c.Artifacts.Store = "ftp://x" },
		"store empty":          func(c *layout.Config) { c.Artifacts.Store = "" },
		"store Git":            func(c *layout.Config) { c.Artifacts.Store = "Git" },
		"store path":           func(c *layout.Config) { c.Artifacts.Store = "/srv/artifacts" },
		"store bad url":        func(c *layout.Config) { c.Artifacts.Store = "s3://%zz" },
		"ts > snapshot":        func(c *layout.Config) { c.Expiry.Timestamp = c.Expiry.Snapshot + 1 },
		"max_projects 0":       func(c *layout.Config) { c.Index.MaxProjects = 0 },
		"max_projects -1":      func(c *layout.Config) { c.Index.MaxProjects = -1 },
		"max_projects 10001":   func(c *layout.Config) { c.Index.MaxProjects = 10001 },
		"zero expiry root":     func(c *layout.Config) { c.Expiry.Root = 0 },
		"zero expiry targets":  func(c *layout.Config) { c.Expiry.Targets = 0 },
		"zero expiry index":    func(c *layout.Config) { c.Expiry.Index = 0 },
		"zero expiry project":  func(c *layout.Config) { c.Expiry.Project = 0 },
		"zero expiry snapshot": func(c *layout.Config) { c.Expiry.Snapshot = 0 },
		"zero expiry ts":       func(c *layout.Config) { c.Expiry.Timestamp = 0 },
		"negative expiry":      func(c *layout.Config) { c.Expiry.Root = -layout.Duration(time.Hour) },
		// The caps: a keyless push may not stretch what the online key signs.
		"timestamp a century": func(c *layout.Config) { c.Expiry.Timestamp = 36500 * cfgDay; c.Expiry.Snapshot = 36500 * cfgDay },
		"timestamp 7d+1s": func(c *layout.Config) {
			c.Expiry.Timestamp = 7*cfgDay + layout.Duration(time.Second)
			c.Expiry.Snapshot = 30 * cfgDay
		},
		"snapshot 30d+1s": func(c *layout.Config) { c.Expiry.Snapshot = 30*cfgDay + layout.Duration(time.Second) },
		"timestamp 59m":   func(c *layout.Config) { c.Expiry.Timestamp = layout.Duration(59 * time.Minute) },
		"snapshot 59m": func(c *layout.Config) {
			c.Expiry.Snapshot = layout.Duration(59 * time.Minute)
			c.Expiry.Timestamp = c.Expiry.Snapshot
		},
		"project 23h":     func(c *layout.Config) { c.Expiry.Project = layout.Duration(23 * time.Hour) },
		"root 5y+1d":      func(c *layout.Config) { c.Expiry.Root = 5*365*cfgDay + cfgDay },
		"index a century": func(c *layout.Config) { c.Expiry.Index = 36500 * cfgDay },
	}
	for name, mod := range mods {
		c := validConfig()
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, c)
		}
		b, err := layout.EncodeFile(c)
		if err != nil {
			t.Fatalf("%s: EncodeFile: %v", name, err)
		}
		if got, err := layout.ParseConfig(b); err == nil {
			t.Errorf("%s: ParseConfig accepted %+v\n%s", name, *got, b)
		}
	}
}

func TestParseConfigRefusesRawJSON(t *testing.T) {
	good := string(encodeConfig(t, validConfig()))
	swap := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("encoded config has no %q:\n%s", old, good)
		}
		return strings.Replace(good, old, new, 1)
	}
	bad := map[string]string{
		"empty":             ``,
		"null":              `null`,
		"array":             `[]`,
		"unknown field":     swap(`"type"`, `"extra": 1, "type"`),
		"unknown nested":    swap(`"store"`, `"bucket": "x", "store"`),
		"duplicate type":    swap(`"type": "tufgit-config"`, `"type": "tufgit-project", "type": "tufgit-config"`),
		"duplicate nested":  swap(`"store": "git"`, `"store": "ftp://x", "store": "git"`),
		"trailing data":     good + `{}`,
		"trailing garbage":  good + `x`,
		"string version":    swap(`"format_version": 1`, `"format_version": "1"`),
		"float version":     swap(`"format_version": 1`, `"format_version": 1.0`),
		"huge version":      swap(`"format_version": 1`, `"format_version": 1e400`),
		"huge max":          swap(`"max_projects": 256`, `"max_projects": 99999999999999999999999`),
		"numeric duration":  swap(`"root": "365d"`, `"root": 31536000000000000`),
		"zero duration":     swap(`"root": "365d"`, `"root": "0d"`),
		"bad duration":      swap(`"root": "365d"`, `"root": "forever"`),
		"too long duration": swap(`"root": "365d"`, `"root": "99999d"`),
		"ts > snapshot":     swap(`"timestamp": "1d"`, `"timestamp": "8d"`),
		"missing expiry":    swap(`"root": "365d",`, ``),
		"wrong type":        swap(`"tufgit-config"`, `"tufgit-request"`),
		"wrong format":      swap(`"format_version": 1`, `"format_version": 2`),
		"file uri":          swap(`"online_key": {`, `"online_key": {"uri": "file:///k",`),
		"evil uri":          swap(`"online_key": {`, `"online_key": {"uri": "evil://k",`),
		"ftp store":         swap(`"store": "git"`, `"store": "ftp://x"`),
		"max 0":             swap(`"max_projects": 256`, `"max_projects": 0`),
		"deep":              swap(`"type"`, `"name": `+nestedArrays(100)+`, "type"`),
		"NUL":               swap(`"type"`, "\x00\"type\""),
	}
	for name, s := range bad {
		if got, err := layout.ParseConfig([]byte(s)); err == nil {
			t.Errorf("%s: ParseConfig accepted %+v\n%s", name, *got, s)
		}
	}
}

func TestValidateStore(t *testing.T) {
	for _, s := range []string{"git", "s3://b", "gs://b", "azblob://c", "file:///x"} {
		if err := layout.ValidateStore(s); err != nil {
			t.Errorf("ValidateStore(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "GIT", "ftp://x", "http://x", "https://x", "/x", "x", "s3://%zz", ":"} {
		if err := layout.ValidateStore(s); err == nil {
			t.Errorf("ValidateStore(%q) accepted", s)
		}
	}
}

func TestIsKMSURI(t *testing.T) {
	for _, s := range []string{"awskms://k", "gcpkms://k", "azurekms://k", "hashivault://k"} {
		if !layout.IsKMSURI(s) {
			t.Errorf("IsKMSURI(%q) = false", s)
		}
	}
	for _, s := range []string{"", "file://k", "evil://k", "awskms:k", "awskms:/k", "AWSKMS://k", " awskms://k", "k"} {
		if layout.IsKMSURI(s) {
			t.Errorf("IsKMSURI(%q) = true", s)
		}
	}
}

// ---------------------------------------------------------------------------
// Project config

const validProjectJSON = `{
  "type": "tufgit-project",
  "format_version": 1,
  "name": "hello-world",
  "display_name": "Hello_World",
  "created": "2024-05-01T12:00:00Z",
  "maintainers": [
    {"keyid": "` + "abababababababababababababababababababababababababababababababab" + `", "name": "Alice"},
    {"keyid": "` + "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd" + `", "name": "Bob Ø"}
  ]
}`

func TestParseProjectConfig(t *testing.T) {
	p, err := layout.ParseProjectConfig([]byte(validProjectJSON))
	if err != nil {
		t.Fatalf("ParseProjectConfig: %v", err)
	}
	if p.Name != "hello-world" || p.DisplayName != "Hello_World" || len(p.Maintainers) != 2 ||
		p.Maintainers[1].Name != "Bob Ø" || !p.Created.Equal(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseProjectConfig = %+v", *p)
	}
	b, err := layout.EncodeFile(p)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := layout.ParseProjectConfig(b)
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, b)
	}
	if !reflect.DeepEqual(p, p2) {
		t.Errorf("round trip: %+v != %+v", *p, *p2)
	}

	swap := func(old, new string) string {
		if !strings.Contains(validProjectJSON, old) {
			t.Fatalf("no %q in the project config", old)
		}
		return strings.Replace(validProjectJSON, old, new, 1)
	}
	ok := map[string]string{
		"no display name":   swap(`"display_name": "Hello_World",`, ``),
		"same display name": swap(`"Hello_World"`, `"hello-world"`),
		"no maintainers":    `{"type":"tufgit-project","format_version":1,"name":"a","created":"2024-05-01T12:00:00Z"}`,
		"empty maintainers": `{"type":"tufgit-project","format_version":1,"name":"a","created":"2024-05-01T12:00:00Z","maintainers":[]}`,
		"no created":        `{"type":"tufgit-project","format_version":1,"name":"a","maintainers":null}`,
	}
	for name, s := range ok {
		if _, err := layout.ParseProjectConfig([]byte(s)); err != nil {
			t.Errorf("%s: ParseProjectConfig: %v\n%s", name, err, s)
		}
	}
	bad := map[string]string{
		"wrong type":           swap(`"tufgit-project"`, `"tufgit-config"`),
		"wrong format":         swap(`"format_version": 1`, `"format_version": 2`),
		"not normalized":       swap(`"name": "hello-world"`, `"name": "Hello_World"`),
		"reserved name":        swap(`"name": "hello-world"`, `"name": "root"`),
		"empty name":           swap(`"name": "hello-world"`, `"name": ""`),
		"other display name":   swap(`"Hello_World"`, `"Goodbye"`),
		"bad display name":     swap(`"Hello_World"`, `"-Hello_World"`),
		"bad keyid":            swap(`"keyid": "abab`, `"keyid": "ABAB`),
		"duplicate maintainer": swap(`"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"`, `"abababababababababababababababababababababababababababababababab"`),
		"empty label":          swap(`"name": "Alice"`, `"name": ""`),
		"control label":        swap(`"name": "Alice"`, `"name": "Al\u0007ice"`),
		"C1 label":             swap(`"name": "Alice"`, `"name": "Al\u0085ice"`),
		"long label":           swap(`"name": "Alice"`, `"name": "`+strings.Repeat("a", 101)+`"`),
		"unknown field":        swap(`"type"`, `"owner": "x", "type"`),
		"unknown maint field":  swap(`"name": "Alice"`, `"name": "Alice", "email": "a@x"`),
		"duplicate name":       swap(`"name": "hello-world"`, `"name": "evil", "name": "hello-world"`),
		"bad time":             swap(`"2024-05-01T12:00:00Z"`, `"yesterday"`),
		"trailing":             validProjectJSON + "[]",
	}
	for name, s := range bad {
		if got, err := layout.ParseProjectConfig([]byte(s)); err == nil {
			t.Errorf("%s: ParseProjectConfig accepted %+v", name, *got)
		}
	}
}

func TestValidateLabel(t *testing.T) {
	for _, s := range []string{"a", "Alice Example", "Zoë", "李", strings.Repeat("a", 100), "a\u00a0b"} {
		if err := layout.ValidateLabel(s); err != nil {
			t.Errorf("ValidateLabel(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", strings.Repeat("a", 101), "a\nb", "a\x00", "a\x7f", "a\u0085", "\ufffd", "a\xffb", "\x1b[31m"} {
		if err := layout.ValidateLabel(s); err == nil {
			t.Errorf("ValidateLabel(%q) accepted", s)
		}
	}
}

// ---------------------------------------------------------------------------
// Requests

const validRequestJSON = `{
  "type": "tufgit-request",
  "format_version": 1,
  "id": "r-1",
  "kind": "add-project",
  "project": "hello-world",
  "author": "Alice",
  "created": "2024-05-01T12:00:00.5+02:00",
  "base": "0123456789abcdef0123456789abcdef01234567",
  "note": "please"
}`

func TestParseRequest(t *testing.T) {
	r, err := layout.ParseRequest([]byte(validRequestJSON))
	if err != nil {
		t.Fatalf("ParseRequest: %v", err)
	}
	if r.ID != "r-1" || r.Kind != "add-project" || r.Project != "hello-world" || r.Author != "Alice" ||
		r.Base != "0123456789abcdef0123456789abcdef01234567" || r.Note != "please" ||
		!r.Created.Equal(time.Date(2024, 5, 1, 10, 0, 0, 5e8, time.UTC)) {
		t.Errorf("ParseRequest = %+v", *r)
	}
	b, err := layout.EncodeFile(r)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := layout.ParseRequest(b)
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, b)
	}
	if !r2.Created.Equal(r.Created) {
		t.Errorf("created changed: %v -> %v", r.Created, r2.Created)
	}
	r2.Created = r.Created
	if !reflect.DeepEqual(r, r2) {
		t.Errorf("round trip: %+v != %+v", *r, *r2)
	}

	swap := func(old, new string) string {
		if !strings.Contains(validRequestJSON, old) {
			t.Fatalf("no %q in the request", old)
		}
		return strings.Replace(validRequestJSON, old, new, 1)
	}
	ok := map[string]string{
		"init":       `{"type":"tufgit-request","format_version":1,"id":"a","kind":"init","author":"Bob","created":"2024-01-01T00:00:00Z"}`,
		"long note":  swap(`"please"`, `"`+strings.Repeat("n", 2000)+`"`),
		"kind dash":  swap(`"add-project"`, `"-"`),
		"kind 32":    swap(`"add-project"`, `"`+strings.Repeat("k", 32)+`"`),
		"id 64":      swap(`"r-1"`, `"`+strings.Repeat("1", 64)+`"`),
		"no project": swap(`"project": "hello-world",`, ``),
	}
	for name, s := range ok {
		if _, err := layout.ParseRequest([]byte(s)); err != nil {
			t.Errorf("%s: ParseRequest: %v", name, err)
		}
	}
	bad := map[string]string{
		"wrong type":         swap(`"tufgit-request"`, `"tufgit-config"`),
		"wrong format":       swap(`"format_version": 1`, `"format_version": 0`),
		"bad id":             swap(`"r-1"`, `"R-1"`),
		"path id":            swap(`"r-1"`, `"../x"`),
		"empty id":           swap(`"r-1"`, `""`),
		"empty kind":         swap(`"add-project"`, `""`),
		"upper kind":         swap(`"add-project"`, `"Init"`),
		"digit kind":         swap(`"add-project"`, `"v2"`),
		"long kind":          swap(`"add-project"`, `"`+strings.Repeat("k", 33)+`"`),
		"bad project":        swap(`"hello-world"`, `"Hello_World"`),
		"reserved project":   swap(`"hello-world"`, `"targets"`),
		"empty author":       swap(`"Alice"`, `""`),
		"control author":     swap(`"Alice"`, `"Alice\r\nSigned-off-by: root"`),
		"no created":         swap(`"created": "2024-05-01T12:00:00.5+02:00",`, ``),
		"zero created":       swap(`"2024-05-01T12:00:00.5+02:00"`, `"0001-01-01T00:00:00Z"`),
		"bad created":        swap(`"2024-05-01T12:00:00.5+02:00"`, `"2024-05-01"`),
		"short base":         swap(`"0123456789abcdef0123456789abcdef01234567"`, `"0123456"`),
		"upper base":         swap(`"0123456789abcdef0123456789abcdef01234567"`, `"0123456789ABCDEF0123456789abcdef01234567"`),
		"sha256 base":        swap(`"0123456789abcdef0123456789abcdef01234567"`, `"`+testSHA+`"`),
		"long note":          swap(`"please"`, `"`+strings.Repeat("n", 2001)+`"`),
		"unknown field":      swap(`"note"`, `"changes": [], "note"`),
		"duplicate kind":     swap(`"kind": "add-project"`, `"kind": "add-project", "kind": "init"`),
		"duplicate escaped":  swap(`"kind": "add-project"`, `"kind": "add-project", "\u006bind": "init"`),
		"trailing":           validRequestJSON + "\n{}",
		"string version":     swap(`"format_version": 1`, `"format_version": "1"`),
		"null":               `null`,
		"object in author":   swap(`"Alice"`, `{"name":"Alice"}`),
		"deep":               swap(`"note": "please"`, `"note": `+nestedArrays(70)),
		"invalid utf8 label": swap(`"Alice"`, "\"Al\xffice\""),
	}
	for name, s := range bad {
		if got, err := layout.ParseRequest([]byte(s)); err == nil {
			t.Errorf("%s: ParseRequest accepted %+v", name, *got)
		}
	}
}

// ---------------------------------------------------------------------------
// Target custom

func TestParseTargetCustom(t *testing.T) {
	ok := []struct {
		in   string
		want layout.TargetCustom
	}{
		{"", layout.TargetCustom{}},
		{"null", layout.TargetCustom{}},
		{" null ", layout.TargetCustom{}},
		{"{}", layout.TargetCustom{}},
		{`{"other":1}`, layout.TargetCustom{}},
		{`{"other":{"tufgit":{"unknown":1}}}`, layout.TargetCustom{}},
		{`{"tufgit":null}`, layout.TargetCustom{}},
		{`{"tufgit":{}}`, layout.TargetCustom{}},
		{`{"tufgit":{"yanked":false}}`, layout.TargetCustom{}},
		{`{"tufgit":{"yanked":true}}`, layout.TargetCustom{Yanked: true}},
		{`{"tufgit":{"yanked":true,"yank_reason":"x"}}`, layout.TargetCustom{Yanked: true, YankReason: "x"}},
		{`{"other":[1,2],"tufgit":{"yanked":true,"yank_reason":"` + strings.Repeat("r", 500) + `"}}`,
			layout.TargetCustom{Yanked: true, YankReason: strings.Repeat("r", 500)}},
	}
	for _, c := range ok {
		got, err := layout.ParseTargetCustom([]byte(c.in))
		if err != nil {
			t.Errorf("ParseTargetCustom(%.80q): %v", c.in, err)
			continue
		}
		if got == nil || *got != c.want {
			t.Errorf("ParseTargetCustom(%.80q) = %+v, want %+v", c.in, got, c.want)
		}
	}
	if got, err := layout.ParseTargetCustom(nil); err != nil || got == nil || *got != (layout.TargetCustom{}) {
		t.Errorf("ParseTargetCustom(nil) = %+v, %v", got, err)
	}
	bad := []string{
		`{"tufgit":{"unknown":1}}`,
		`{"tufgit":{"yank_reason":"x"}}`,
		`{"tufgit":{"yanked":false,"yank_reason":"x"}}`,
		`{"tufgit":{"yanked":true,"yank_reason":"` + strings.Repeat("r", 501) + `"}}`,
		`{"tufgit":{"yanked":"true"}}`,
		`{"tufgit":{"yanked":1}}`,
		`{"tufgit":{"yanked":true,"yanked":false}}`,
		`{"tufgit":{},"tufgit":{"yanked":true}}`,
		`{"tufgit":{"yanked":true},"tufgit":{}}`,
		`{"tufgit":[]}`,
		`{"tufgit":"yanked"}`,
		`{"tufgit":true}`,
		`{"tufgit":1}`,
		`[]`,
		`[{"tufgit":{}}]`,
		`1`,
		`"x"`,
		`true`,
		`{`,
		`{"a":1}{"b":2}`,
		`{"a":1} x`,
		`{"a":1,"a":2}`,
		`{"other":` + nestedArrays(80) + `}`,
		"\x00",
	}
	for _, in := range bad {
		if got, err := layout.ParseTargetCustom([]byte(in)); err == nil {
			t.Errorf("ParseTargetCustom(%.80q) = %+v, want an error", in, got)
		}
	}
}

// ---------------------------------------------------------------------------
// TestFixedBugs pins bugs the first round of these tests found.
func TestFixedBugs(t *testing.T) {
	t.Run("CheckJSON accepts invalid UTF-8", func(t *testing.T) {
		// strictjson.go: "CheckJSON rejects ... invalid UTF-8". encoding/json
		// does not check UTF-8; it silently turns bad bytes into U+FFFD.
		for _, s := range []string{"\"\xff\"", "{\"a\":\"\xc3\x28\"}", "[\"\xed\xa0\x80\"]", "{\"\xfe\":1}"} {
			if err := layout.CheckJSON([]byte(s)); err == nil {
				t.Errorf("CheckJSON(%q) = nil, want an invalid UTF-8 error", s)
			}
		}
	})
	t.Run("DecodeStrict matches field names case-insensitively", func(t *testing.T) {
		// {"type":..., "TYPE":...} passes CheckJSON (the keys differ) but
		// encoding/json assigns both to the same field, last one wins.
		// Neither "TYPE" nor "Type" is a field of the format, yet
		// DisallowUnknownFields lets them through.
		var r layout.Request
		in := strings.Replace(validRequestJSON, `"author": "Alice"`, `"author": "Alice", "AUTHOR": "Mallory"`, 1)
		if err := layout.DecodeStrict([]byte(in), &r); err == nil {
			t.Errorf("DecodeStrict accepted a request with both \"author\" and \"AUTHOR\"; author = %q", r.Author)
		}
	})
	t.Run("DecodeStrict matches field names by Unicode case folding", func(t *testing.T) {
		// "ſtore" (U+017F LATIN SMALL LETTER LONG S) folds to "store".
		var a layout.Artifacts
		if err := layout.DecodeStrict([]byte(`{"ſtore":"ftp://x"}`), &a); err == nil {
			t.Errorf("DecodeStrict accepted key \"ſtore\" as \"store\" (store = %q)", a.Store)
		}
	})
	t.Run("project named request collides with request.json", func(t *testing.T) {
		// "request" is a valid project name, but its proposed metadata
		// in a request, RequestRolePath(id, "request"), is the request
		// description file requests/ID/request.json.
		if _, err := layout.NormalizeProjectName("request"); err != nil {
			return // fixed by reserving the name
		}
		e, err := layout.Classify(layout.RequestRolePath("r1", "request"))
		if err != nil || e.Kind != layout.KindRequestRole || e.Role != "request" {
			t.Errorf("Classify(RequestRolePath(r1, request)) = %+v, %v; want a request role", e, err)
		}
	})
}

func TestEquivalentVersions(t *testing.T) {
	same := [][2]string{
		{"v1.0", "1.0"},
		{"V1.0", "1.0"},
		{"01.0", "1.0"},
		{"1.00", "1.0"},
		{"v01.002.0003", "1.2.3"},
		{"1.0.0-rc.01", "1.0.0-rc.1"},
		{"1.0.0+build.007", "1.0.0+build.7"},
		{"000", "0"},
		{"1.0", "1.0"},
	}
	for _, p := range same {
		if !layout.EquivalentVersions(p[0], p[1]) {
			t.Errorf("EquivalentVersions(%q, %q) = false (canonical %q, %q)", p[0], p[1], layout.CanonicalVersion(p[0]), layout.CanonicalVersion(p[1]))
		}
	}
	differ := [][2]string{
		{"1.0", "1.0.0"},
		{"1.0", "1.1"},
		{"10", "1"},
		{"1.0rc1", "1.0rc01"}, // not a numeric identifier
		{"vendor", "endor"},   // 'v' is dropped only before a digit
		{"1.0", "1.0-0"},
		{"1.0.0-alpha", "1.0.0-Alpha"},
		{"vv1", "v1"},
	}
	for _, p := range differ {
		if layout.EquivalentVersions(p[0], p[1]) {
			t.Errorf("EquivalentVersions(%q, %q) = true, want distinct releases", p[0], p[1])
		}
	}
}

func TestReservedVersion(t *testing.T) {
	for _, v := range []string{"latest", "LATEST", "Latest"} {
		err := layout.ValidateVersion(v)
		if err == nil || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("ValidateVersion(%q) = %v, want reserved", v, err)
		}
	}
	for _, v := range []string{"latest1", "1-latest", "vlatest"} {
		if err := layout.ValidateVersion(v); err != nil {
			t.Errorf("ValidateVersion(%q): %v", v, err)
		}
	}
}

func TestNonASCIIMessages(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{func() error { _, err := layout.NormalizeProjectName("Ünïcode"); return err }(), `character 'Ü' is not ASCII`},
		{func() error { _, err := layout.NormalizeProjectName("café"); return err }(), `character 'é' is not ASCII`},
		{func() error { _, err := layout.NormalizeProjectName("a\xffb"); return err }(), `byte "\xff" is not UTF-8`},
		{layout.ValidateFilename("ü.tar.gz"), `character 'ü' is not ASCII`},
		{layout.ValidateFilename(".ü"), `character 'ü' is not ASCII`},
		{layout.ValidateFilename(".x"), `must start with a letter or digit`},
		{layout.ValidateVersion("1.0é"), `character 'é' is not ASCII`},
		{layout.ValidateRequestID("réq"), `character 'é' is not ASCII`},
	}
	for i, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("case %d: %v, want %q", i, c.err, c.want)
		}
		if c.err != nil && strings.Contains(c.err.Error(), "Ã") {
			t.Errorf("case %d: garbled: %v", i, c.err)
		}
	}
}
