package layout

import (
	"fmt"
	"strconv"
	"strings"
)

// Paths of tufgit's files in the repository tree. See metadata-layout/README.md.
const (
	ConfigPath     = "tufgit.json"
	ReadmePath     = "README.md"
	MetadataDir    = "metadata"
	RootPath       = "metadata/root.json"
	RootHistoryDir = "metadata/root_history"
	TargetsPath    = "metadata/targets.json"
	// ShardMapPath holds the shard map of a sharded repository: the bytes
	// targets.json lists as ShardMapTarget.
	ShardMapPath    = "metadata/shards.json"
	IndexDir        = "metadata/index"
	ProjectRolesDir = "metadata/projects"
	// RetiredRolesDir keeps the last metadata of each removed project.
	RetiredRolesDir = "metadata/retired"
	ProjectsDir     = "projects"
	RequestsDir     = "requests"
	ArtifactsDir    = "artifacts/sha256"
	RequestFile     = "request.json"
	// RequestProjectFile is the project config a request would write.
	RequestProjectFile = "project.json"
	// RequestWithdrawalFile is the signed record that a request was
	// withdrawn; once it is there, it is the only file of the request.
	RequestWithdrawalFile = "withdrawal.json"
)

// Size limits for reading files out of the tree. Reads are bounded so that
// a hostile push can not exhaust memory. They follow python-tuf's client
// defaults where a TUF role is concerned.
const (
	MaxRootSize     = 512 << 10
	MaxTargetsSize  = 5 << 20
	MaxConfigSize   = 64 << 10
	MaxRequestSize  = 64 << 10
	MaxReadmeSize   = 256 << 10
	MaxArtifactSize = 1 << 30
	MaxShardMapSize = 4 << 10
)

// RootHistoryPath is where version v of root is kept forever.
func RootHistoryPath(v int64) string {
	return fmt.Sprintf("%s/%d.root.json", RootHistoryDir, v)
}

// RolePath is where the metadata of a targets-type role lives: targets
// itself, an index role or a project role.
func RolePath(role string) string {
	if role == RoleTargets {
		return TargetsPath
	}
	if _, ok := IndexPrefix(role); ok {
		return IndexDir + "/" + role + ".json"
	}
	return ProjectRolesDir + "/" + Shard(role) + "/" + role + ".json"
}

// RetiredRolePath is where the last metadata of a removed project is kept:
// no longer delegated, so no client reads it, but it still names the
// artifacts the project published, and the version the role reached.
func RetiredRolePath(project string) string {
	return RetiredRolesDir + "/" + Shard(project) + "/" + project + ".json"
}

// RetiredGenerationPath is where the record of the gen-th removal of a
// name is kept: the first is RetiredRolePath (NAME.json), each later one
// NAME.GEN.json (GEN ≥ 2). A normalized project name has no '.', so no
// generation's file name is another project's.
func RetiredGenerationPath(project string, gen int) string {
	if gen <= 1 {
		return RetiredRolePath(project)
	}
	return RetiredRolesDir + "/" + Shard(project) + "/" + project + "." + strconv.Itoa(gen) + ".json"
}

// MaxRetiredGenerations bounds how many times one name can be removed
// (and so how many retired files a check of the name reads).
const MaxRetiredGenerations = 100

// ProjectConfigPath is where a project's (unsigned) configuration lives.
func ProjectConfigPath(project string) string {
	return ProjectsDir + "/" + Shard(project) + "/" + project + ".json"
}

// RequestDir is the directory of one pending signature request.
func RequestDir(id string) string { return RequestsDir + "/" + id }

// RequestPath is the description file of a pending request.
func RequestPath(id string) string { return RequestDir(id) + "/" + RequestFile }

// RequestRolePath is the proposed metadata of role inside a request.
func RequestRolePath(id, role string) string { return RequestDir(id) + "/metadata/" + role + ".json" }

// RequestWithdrawalPath is the signed withdrawal record of a request.
func RequestWithdrawalPath(id string) string { return RequestDir(id) + "/" + RequestWithdrawalFile }

// RequestProjectPath is the project config a request would write.
func RequestProjectPath(id string) string { return RequestDir(id) + "/" + RequestProjectFile }

// RequestArtifactPath is where a request keeps an artifact it proposes
// until the request is applied.
func RequestArtifactPath(id, sha256hex string) string {
	return RequestDir(id) + "/artifacts/" + sha256hex
}

// ArtifactPath is where an artifact with the given lowercase hex sha256
// lives in the embedded store.
func ArtifactPath(sha256hex string) string {
	return ArtifactsDir + "/" + sha256hex[0:2] + "/" + sha256hex[2:4] + "/" + sha256hex
}

// Kind classifies a path of the tree.
type Kind int

const (
	KindUnknown Kind = iota
	KindConfig
	KindReadme
	KindRoot
	KindRootHistory
	KindTargets
	KindIndexRole
	KindProjectRole
	KindProjectConfig
	KindRequest
	KindRequestRole
	KindArtifact
	KindRequestArtifact
	KindRequestProjectConfig
	KindRequestWithdrawal
	KindRetiredRole
	KindShardMap
)

func (k Kind) String() string {
	switch k {
	case KindConfig:
		return "repository config"
	case KindReadme:
		return "readme"
	case KindRoot:
		return "root metadata"
	case KindRootHistory:
		return "root history"
	case KindTargets:
		return "targets metadata"
	case KindIndexRole:
		return "index role metadata"
	case KindProjectRole:
		return "project role metadata"
	case KindProjectConfig:
		return "project config"
	case KindRequest:
		return "request"
	case KindRequestRole:
		return "request metadata"
	case KindArtifact:
		return "artifact"
	case KindRequestArtifact:
		return "request artifact"
	case KindRequestProjectConfig:
		return "request project config"
	case KindRequestWithdrawal:
		return "request withdrawal"
	case KindRetiredRole:
		return "retired project role"
	case KindShardMap:
		return "shard map"
	}
	return "unknown file"
}

// Entry is what Classify learns from a path.
type Entry struct {
	Kind    Kind
	Role    string // role name for metadata kinds
	Version int64  // root history version
	Project string // project name for project kinds
	Request string // request id for request kinds
	SHA256  string // hex digest for artifacts
	Shard   string // hash shard of an index role in a sharded repository
	// Generation numbers the retired records of one name: 1 for
	// NAME.json, N for NAME.N.json.
	Generation int
}

// Classify maps a path of the tree to what it holds. A path that is not
// part of the layout is an error that says why.
func Classify(p string) (Entry, error) {
	switch p {
	case ConfigPath:
		return Entry{Kind: KindConfig}, nil
	case ReadmePath:
		return Entry{Kind: KindReadme}, nil
	case RootPath:
		return Entry{Kind: KindRoot, Role: RoleRoot}, nil
	case TargetsPath:
		return Entry{Kind: KindTargets, Role: RoleTargets}, nil
	case ShardMapPath:
		return Entry{Kind: KindShardMap}, nil
	}
	parts := strings.Split(p, "/")
	bad := func(why string) (Entry, error) {
		return Entry{}, fmt.Errorf("%s: %s", printable(p), why)
	}
	switch parts[0] {
	case MetadataDir:
		if len(parts) == 3 && parts[1] == "root_history" {
			v, ok := strings.CutSuffix(parts[2], ".root.json")
			n, err := strconv.ParseInt(v, 10, 64)
			if !ok || err != nil || n < 1 || strconv.FormatInt(n, 10) != v {
				return bad("root history files are named N.root.json with N ≥ 1")
			}
			return Entry{Kind: KindRootHistory, Role: RoleRoot, Version: n}, nil
		}
		if len(parts) == 3 && parts[1] == "index" {
			role, ok := strings.CutSuffix(parts[2], ".json")
			if _, isIdx := IndexPrefix(role); !ok || !isIdx {
				return bad("index role files are named idx_PREFIX.json")
			}
			return Entry{Kind: KindIndexRole, Role: role}, nil
		}
		if len(parts) == 4 && parts[1] == "index" {
			role, ok := strings.CutSuffix(parts[3], ".json")
			if _, isIdx := IndexPrefix(role); !ok || !isIdx || !validShardDir(parts[2]) {
				return bad("index role files of a shard are named index/SHARD/idx_PREFIX.json (SHARD: 1 to 3 lowercase hex digits)")
			}
			return Entry{Kind: KindIndexRole, Role: parts[2] + "/" + role, Shard: parts[2]}, nil
		}
		if len(parts) == 4 && parts[1] == "projects" {
			name, ok := strings.CutSuffix(parts[3], ".json")
			if !ok || !IsNormalizedProjectName(name) {
				return bad("project role files are named NAME.json with a normalized project name")
			}
			if Shard(name) != parts[2] {
				return bad(fmt.Sprintf("project %s belongs in shard directory %s", name, Shard(name)))
			}
			return Entry{Kind: KindProjectRole, Role: name, Project: name}, nil
		}
		if len(parts) == 4 && parts[1] == "retired" {
			name, ok := strings.CutSuffix(parts[3], ".json")
			gen := 1
			if n, g, cut := strings.Cut(name, "."); cut {
				v, err := strconv.Atoi(g)
				if err != nil || v < 2 || v > MaxRetiredGenerations || strconv.Itoa(v) != g {
					return bad(fmt.Sprintf("retired role files are named NAME.json, then NAME.N.json for the N-th removal of the name (2 ≤ N ≤ %d)", MaxRetiredGenerations))
				}
				name, gen = n, v
			}
			if !ok || !IsNormalizedProjectName(name) {
				return bad("retired role files are named NAME.json (or NAME.N.json) with a normalized project name")
			}
			if Shard(name) != parts[2] {
				return bad(fmt.Sprintf("project %s belongs in shard directory %s", name, Shard(name)))
			}
			return Entry{Kind: KindRetiredRole, Role: name, Project: name, Generation: gen}, nil
		}
		return bad("not a metadata file of the layout")
	case ProjectsDir:
		if len(parts) == 3 {
			name, ok := strings.CutSuffix(parts[2], ".json")
			if !ok || !IsNormalizedProjectName(name) {
				return bad("project config files are named NAME.json with a normalized project name")
			}
			if Shard(name) != parts[1] {
				return bad(fmt.Sprintf("project %s belongs in shard directory %s", name, Shard(name)))
			}
			return Entry{Kind: KindProjectConfig, Project: name}, nil
		}
		return bad("not a project config file of the layout")
	case RequestsDir:
		if len(parts) < 3 {
			return bad("not a request file of the layout")
		}
		if err := ValidateRequestID(parts[1]); err != nil {
			return bad(err.Error())
		}
		switch {
		case len(parts) == 3 && parts[2] == RequestFile:
			return Entry{Kind: KindRequest, Request: parts[1]}, nil
		case len(parts) == 3 && parts[2] == RequestProjectFile:
			return Entry{Kind: KindRequestProjectConfig, Request: parts[1]}, nil
		case len(parts) == 3 && parts[2] == RequestWithdrawalFile:
			return Entry{Kind: KindRequestWithdrawal, Request: parts[1]}, nil
		case len(parts) == 4 && parts[2] == "metadata":
			role, ok := strings.CutSuffix(parts[3], ".json")
			if ok && isRoleName(role) {
				return Entry{Kind: KindRequestRole, Request: parts[1], Role: role}, nil
			}
		case len(parts) == 5 && parts[2] == "metadata" && validShardDir(parts[3]):
			role, ok := strings.CutSuffix(parts[4], ".json")
			if _, isIdx := IndexPrefix(role); ok && isIdx {
				return Entry{Kind: KindRequestRole, Request: parts[1], Role: parts[3] + "/" + role, Shard: parts[3]}, nil
			}
		case len(parts) == 4 && parts[2] == "artifacts" && isHex64(parts[3]):
			return Entry{Kind: KindRequestArtifact, Request: parts[1], SHA256: parts[3]}, nil
		}
		return bad("a request holds request.json, project.json, metadata/ROLE.json (metadata/SHARD/idx_P.json), artifacts/SHA256 and withdrawal.json files only")
	case "artifacts":
		if len(parts) == 5 && parts[1] == "sha256" && isHex64(parts[4]) &&
			parts[2] == parts[4][0:2] && parts[3] == parts[4][2:4] {
			return Entry{Kind: KindArtifact, SHA256: parts[4]}, nil
		}
		return bad("artifacts are stored as artifacts/sha256/AB/CD/ABCD… (lowercase hex sha256)")
	}
	return bad("not part of the tufgit layout")
}

// isRoleName reports whether role may name a role file in a request.
func isRoleName(role string) bool {
	if role == RoleRoot || role == RoleTargets {
		return true
	}
	if _, ok := IndexPrefix(role); ok {
		return true
	}
	return IsNormalizedProjectName(role)
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
			return false
		}
	}
	return true
}

// RoleKind tells how a role name is used in the layout.
func RoleKind(role string) Kind {
	switch role {
	case RoleRoot:
		return KindRoot
	case RoleTargets:
		return KindTargets
	}
	if _, ok := IndexPrefix(role); ok {
		return KindIndexRole
	}
	if IsNormalizedProjectName(role) {
		return KindProjectRole
	}
	return KindUnknown
}

// ValidPathComponent reports whether one component of a tree path is safe:
// not empty, not "." or "..", no slash, backslash, NUL or control character.
func ValidPathComponent(name string) bool {
	if name == "" || name == "." || name == ".." {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c == 0x7f || c == '/' || c == '\\' {
			return false
		}
	}
	return true
}

// RoleOrder is a sort key that orders roles from the top of the delegation
// tree down: root, targets, index roles by depth, then projects.
func RoleOrder(role string) string {
	switch RoleKind(role) {
	case KindRoot:
		return "0"
	case KindTargets:
		return "1"
	case KindIndexRole:
		p, _ := IndexPrefix(role)
		return fmt.Sprintf("2%03d%s", len(p), role)
	}
	return "3" + role
}
