package layout

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Format identifiers of tufgit's own files.
const (
	ConfigType        = "tufgit-config"
	ProjectConfigType = "tufgit-project"
	RequestType       = "tufgit-request"
	FormatVersion     = 1
)

// Duration is a human duration as stored in the config: "365d", "7d",
// "24h", "1d12h" or any Go duration; days are 24 hours.
type Duration time.Duration

// ParseDuration parses the config's duration syntax.
func ParseDuration(s string) (Duration, error) {
	orig := s
	var total time.Duration
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c == '.' || c >= 'a' && c <= 'z' || c == 0xc2 || c == 0xb5) {
			return 0, fmt.Errorf("invalid duration %q (use e.g. 365d, 7d, 24h)", printable(orig))
		}
	}
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 36500 {
			return 0, fmt.Errorf("invalid duration %q", printable(orig))
		}
		total = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
	}
	if s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q (use e.g. 365d, 7d, 24h)", printable(orig))
		}
		total += d
	}
	if total <= 0 {
		return 0, fmt.Errorf("invalid duration %q: must be positive", printable(orig))
	}
	if total > 100*365*24*time.Hour {
		return 0, fmt.Errorf("invalid duration %q: longer than 100 years", printable(orig))
	}
	return Duration(total), nil
}

func (d Duration) String() string {
	t := time.Duration(d)
	if t%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", t/(24*time.Hour))
	}
	days := t / (24 * time.Hour)
	rest := t % (24 * time.Hour)
	if days > 0 {
		return fmt.Sprintf("%dd%s", days, rest)
	}
	return rest.String()
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Expiry holds how long each role's metadata is valid after it is signed.
type Expiry struct {
	Root      Duration `json:"root"`
	Targets   Duration `json:"targets"`
	Index     Duration `json:"index"`
	Project   Duration `json:"project"`
	Snapshot  Duration `json:"snapshot"`
	Timestamp Duration `json:"timestamp"`
}

// ExpiresAt is the expiry time of metadata signed at now and valid for d:
// whole seconds in UTC, as TUF's date format requires.
func ExpiresAt(now time.Time, d time.Duration) time.Time {
	return now.UTC().Truncate(time.Second).Add(d)
}

// For returns the expiry period of a role.
func (e Expiry) For(role string) time.Duration {
	switch RoleKind(role) {
	case KindRoot:
		return time.Duration(e.Root)
	case KindTargets:
		return time.Duration(e.Targets)
	case KindIndexRole:
		return time.Duration(e.Index)
	}
	switch role {
	case RoleSnapshot:
		return time.Duration(e.Snapshot)
	case RoleTimestamp:
		return time.Duration(e.Timestamp)
	}
	return time.Duration(e.Project)
}

// Bounds on the expiry periods. tufgit.json is unsigned: anyone who can
// push may change it. So the periods that bound what the online key signs
// are capped here, in code, and enforced by verify (the hook refuses the
// push) and by publish (it refuses to sign). A freeze lasts at most as long
// as the timestamp is valid: MaxTimestampExpiry is the longest a hostile
// mirror can freeze a client. Peers: PEP 458 signs timestamp and snapshot
// for a day; Sigstore's root-signing runs timestamp for a week and
// snapshot for three weeks.
const (
	MaxTimestampExpiry = 7 * 24 * time.Hour
	MaxSnapshotExpiry  = 30 * 24 * time.Hour
	// MinOnlineExpiry keeps a push from making every publish sign metadata
	// that expires before clients can fetch it.
	MinOnlineExpiry = time.Hour
	// Offline roles are signed by people who see what they sign; the
	// bounds only keep a hostile config from making them sign metadata
	// that expires within the day, or lives for decades.
	MinOfflineExpiry = 24 * time.Hour
	MaxOfflineExpiry = 5 * 365 * 24 * time.Hour
)

// MaxSignedExpiry is the furthest ahead, from the moment it is checked, that
// a signed or proposed role of this kind may expire: verify (so the hook)
// refuses metadata that claims to live longer, whoever signed it. Root,
// targets, index roles and project roles share the cap on the unsigned
// config's periods (MaxOfflineExpiry), so that every way tufgit signs an
// offline role passes it; snapshot and timestamp take theirs. Expiry is
// what bounds a freeze by a mirror and the life of a stolen key's
// signature: a role signed for a century would outlive every rotation.
func MaxSignedExpiry(role string) time.Duration {
	switch role {
	case RoleSnapshot:
		return MaxSnapshotExpiry
	case RoleTimestamp:
		return MaxTimestampExpiry
	}
	return MaxOfflineExpiry
}

// ExpiryClockSkew is how far a signer's clock may run ahead of the
// checker's before MaxSignedExpiry refuses an expiry signed at the cap.
const ExpiryClockSkew = 24 * time.Hour

// DefaultExpiry follows the peers: offline roles a year, snapshot a week,
// timestamp a day.
func DefaultExpiry() Expiry {
	day := Duration(24 * time.Hour)
	return Expiry{Root: 365 * day, Targets: 365 * day, Index: 365 * day, Project: 365 * day, Snapshot: 7 * day, Timestamp: day}
}

// Validate checks each period against its bounds (MaxTimestampExpiry …)
// and that the timestamp does not outlive the snapshot.
func (e Expiry) Validate() error {
	for _, p := range []struct {
		n        string
		d        Duration
		min, max time.Duration
		why      string
	}{
		{"root", e.Root, MinOfflineExpiry, MaxOfflineExpiry, "offline roles"},
		{"targets", e.Targets, MinOfflineExpiry, MaxOfflineExpiry, "offline roles"},
		{"index", e.Index, MinOfflineExpiry, MaxOfflineExpiry, "offline roles"},
		{"project", e.Project, MinOfflineExpiry, MaxOfflineExpiry, "offline roles"},
		{"timestamp", e.Timestamp, MinOnlineExpiry, MaxTimestampExpiry, "how long a mirror can freeze clients"},
		{"snapshot", e.Snapshot, MinOnlineExpiry, MaxSnapshotExpiry, "what the online key signs"},
	} {
		switch {
		case p.d <= 0:
			return fmt.Errorf("expiry.%s is missing", p.n)
		case time.Duration(p.d) > p.max:
			return fmt.Errorf("expiry.%s %s is longer than %s, tufgit's cap on %s", p.n, p.d, Duration(p.max), p.why)
		case time.Duration(p.d) < p.min:
			return fmt.Errorf("expiry.%s %s is shorter than %s, tufgit's minimum for %s", p.n, p.d, Duration(p.min), p.why)
		}
	}
	if e.Timestamp > e.Snapshot {
		return errors.New("expiry.timestamp is longer than expiry.snapshot")
	}
	return nil
}

// OnlineKey refers to the key that signs snapshot and timestamp. The key
// itself is listed in root; this only helps the publisher find it.
type OnlineKey struct {
	KeyID string `json:"keyid"`
	// URI is a KMS URI (awskms://, gcpkms://, azurekms://, hashivault://)
	// for the publisher; empty when the key is a file kept off the tree.
	URI string `json:"uri,omitempty"`
}

// Mirror says where published metadata is served from.
type Mirror struct {
	URL string `json:"url,omitempty"`
}

// Artifacts says where artifact bytes are stored.
type Artifacts struct {
	// Store is "git" (the embedded content-addressed store under
	// artifacts/sha256/) or a gocloud.dev/blob URL (s3://, gs://,
	// azblob://, file://).
	Store string `json:"store"`
}

// Index configures the prefix index of project roles.
type Index struct {
	// MaxProjects is how many projects one index role may delegate to
	// before the admins split it by the next character.
	MaxProjects int `json:"max_projects"`
	// ShardBits splits the repository into 2^ShardBits hash shards
	// (issue #13; shard.go): 0, the default, is one repository. Each
	// shard has its own index roles (metadata/index/SHARD/idx_P.json)
	// and is published as its own TUF repository. This copy is a
	// convenience: what clients trust is the admin-signed shard map
	// (metadata/shards.json, listed by targets.json), and verify
	// refuses a tree where the two disagree.
	ShardBits int `json:"shard_bits,omitempty"`
}

// DefaultMaxProjects keeps an index role under about 128 KB.
const DefaultMaxProjects = 256

// Config is tufgit.json, the repository configuration. It is not signed:
// nothing in it can make a client trust a file (see docs/threat-model.md).
type Config struct {
	Type          string    `json:"type"`
	FormatVersion int       `json:"format_version"`
	Name          string    `json:"name,omitempty"`
	Expiry        Expiry    `json:"expiry"`
	OnlineKey     OnlineKey `json:"online_key"`
	Mirror        Mirror    `json:"mirror,omitzero"`
	Artifacts     Artifacts `json:"artifacts"`
	Index         Index     `json:"index"`
}

// DefaultConfig is the configuration `tufgit init` writes.
func DefaultConfig() Config {
	return Config{
		Type:          ConfigType,
		FormatVersion: FormatVersion,
		Expiry:        DefaultExpiry(),
		Artifacts:     Artifacts{Store: "git"},
		Index:         Index{MaxProjects: DefaultMaxProjects},
	}
}

// KMSSchemes are the KMS URI schemes tufgit accepts.
var KMSSchemes = []string{"awskms", "gcpkms", "azurekms", "hashivault"}

// IsKMSURI reports whether s starts with one of the accepted KMS schemes.
func IsKMSURI(s string) bool {
	for _, k := range KMSSchemes {
		if strings.HasPrefix(s, k+"://") {
			return true
		}
	}
	return false
}

// Validate checks the config's values.
func (c *Config) Validate() error {
	if c.Type != ConfigType {
		return fmt.Errorf("type is %q, want %q", printable(c.Type), ConfigType)
	}
	if c.FormatVersion != FormatVersion {
		return fmt.Errorf("format_version is %d, this tufgit reads %d", c.FormatVersion, FormatVersion)
	}
	if len(c.Name) > 200 {
		return errors.New("name is longer than 200 characters")
	}
	if err := checkText(c.Name, false); err != nil {
		return fmt.Errorf("name: %w", err)
	}
	if err := c.Expiry.Validate(); err != nil {
		return err
	}
	if !isHex64(c.OnlineKey.KeyID) {
		return errors.New("online_key.keyid is not a 64-digit lowercase hex keyid")
	}
	if c.OnlineKey.URI != "" && !IsKMSURI(c.OnlineKey.URI) {
		return fmt.Errorf("online_key.uri %q is not a KMS URI (%s)", printable(c.OnlineKey.URI), strings.Join(KMSSchemes, "://, ")+"://")
	}
	if c.Mirror.URL != "" {
		u, err := url.Parse(c.Mirror.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("mirror.url %q is not an http(s) URL", printable(c.Mirror.URL))
		}
	}
	if err := ValidateStore(c.Artifacts.Store); err != nil {
		return fmt.Errorf("artifacts.store: %w", err)
	}
	if c.Index.MaxProjects < 1 || c.Index.MaxProjects > 10000 {
		return fmt.Errorf("index.max_projects %d is out of range 1..10000", c.Index.MaxProjects)
	}
	if c.Index.ShardBits < 0 || c.Index.ShardBits > MaxShardBits {
		return fmt.Errorf("index.shard_bits %d is out of range 0..%d", c.Index.ShardBits, MaxShardBits)
	}
	return nil
}

// StoreSchemes are the artifact store URL schemes tufgit accepts besides "git".
var StoreSchemes = []string{"s3", "gs", "azblob", "file"}

// ValidateStore checks an artifact store setting.
func ValidateStore(s string) error {
	if s == "git" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL", printable(s))
	}
	for _, sch := range StoreSchemes {
		if u.Scheme == sch {
			return nil
		}
	}
	return fmt.Errorf("%q: want \"git\" or a %s URL", printable(s), strings.Join(StoreSchemes, "://, ")+"://")
}

// ParseConfig reads tufgit.json.
func ParseConfig(data []byte) (*Config, error) {
	var c Config
	if err := DecodeStrict(data, &c); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Maintainer labels a maintainer's key with a human name. Labels are for
// display only; the keys that count are those in the signed index role.
type Maintainer struct {
	KeyID string `json:"keyid"`
	Name  string `json:"name"`
}

// ProjectConfig is projects/XX/NAME.json: unsigned facts about a project.
type ProjectConfig struct {
	Type          string       `json:"type"`
	FormatVersion int          `json:"format_version"`
	Name          string       `json:"name"`
	DisplayName   string       `json:"display_name,omitempty"`
	Created       time.Time    `json:"created"`
	Maintainers   []Maintainer `json:"maintainers"`
}

// Validate checks a project config's values.
func (p *ProjectConfig) Validate() error {
	if p.Type != ProjectConfigType {
		return fmt.Errorf("type is %q, want %q", printable(p.Type), ProjectConfigType)
	}
	if p.FormatVersion != FormatVersion {
		return fmt.Errorf("format_version is %d, this tufgit reads %d", p.FormatVersion, FormatVersion)
	}
	if !IsNormalizedProjectName(p.Name) {
		return fmt.Errorf("name %q is not a normalized project name", printable(p.Name))
	}
	if p.DisplayName != "" {
		n, err := NormalizeProjectName(p.DisplayName)
		if err != nil || n != p.Name {
			return fmt.Errorf("display_name %q does not normalize to %q", printable(p.DisplayName), p.Name)
		}
	}
	seen := map[string]bool{}
	for _, m := range p.Maintainers {
		if !isHex64(m.KeyID) {
			return fmt.Errorf("maintainer keyid %q is not a 64-digit lowercase hex keyid", printable(m.KeyID))
		}
		if seen[m.KeyID] {
			return fmt.Errorf("maintainer keyid %s is listed twice", m.KeyID)
		}
		seen[m.KeyID] = true
		if err := ValidateLabel(m.Name); err != nil {
			return fmt.Errorf("maintainer %s: %w", m.KeyID[:8], err)
		}
	}
	return nil
}

// ValidateLabel checks a human label (a maintainer or author name): 1-100
// printable characters, no control characters.
func ValidateLabel(s string) error {
	if s == "" || utf8.RuneCountInString(s) > 100 {
		return errors.New("name must be 1-100 characters")
	}
	return checkText(s, false)
}

// checkText refuses control characters (terminal escapes among them),
// invalid UTF-8 and invisible formatting characters (bidi overrides,
// zero-width spaces) that could make text read differently than it is.
func checkText(s string, newlines bool) error {
	if !utf8.ValidString(s) {
		return errors.New("text is not valid UTF-8")
	}
	for _, r := range s {
		if r == '\n' && newlines {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\uFFFD' {
			return fmt.Errorf("text %q has a control or invisible formatting character", printable(s))
		}
	}
	return nil
}

// ParseProjectConfig reads projects/XX/NAME.json.
func ParseProjectConfig(data []byte) (*ProjectConfig, error) {
	var p ProjectConfig
	if err := DecodeStrict(data, &p); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Request kinds.
const (
	RequestInit          = "init"
	KindProjectCreate    = "project-create"
	KindReleaseAdd       = "release-add"
	KindReleaseYank      = "release-yank"
	KindReleaseUnyank    = "release-unyank"
	KindMaintainerAdd    = "maintainer-add"
	KindMaintainerRemove = "maintainer-remove"
	KindThreshold        = "threshold"
	// KindRenew gives roles a new version and expiry and nothing else;
	// verify refuses a renew request that changes anything more.
	KindRenew = "renew"
)

// RecoveryField is the field of a project role's signed part that records
// the last recovery of lost keys: the admins replaced every maintainer key.
// The new maintainers sign it with the role, so the project's page (and any
// reader of the role) can say so.
const RecoveryField = "x-tufgit-recovery"

// Recovery is the value of RecoveryField.
type Recovery struct {
	// At is when the recovery was proposed.
	At time.Time `json:"at"`
	// Replaced are the keyids that stopped being maintainers.
	Replaced []string `json:"replaced"`
}

// WithdrawalField is the field of a withdrawal record's signed part that
// says what was withdrawn.
const WithdrawalField = "x-tufgit-withdrawal"

// Withdrawal says that a pending request was withdrawn, by whom and why.
// It travels inside requests/ID/withdrawal.json, a targets-type TUF
// envelope signed by a key entitled to sign the request (or to be
// delegated by it). The envelope lists no targets, is version 1 and
// expires the moment it was made, so no TUF client could ever take it for
// a role's metadata.
type Withdrawal struct {
	Request   string    `json:"request"`
	Withdrawn time.Time `json:"withdrawn"`
	// By is the withdrawer's git identity, as their words.
	By     string `json:"by"`
	Reason string `json:"reason,omitempty"`
}

// Validate checks a withdrawal's values.
func (w *Withdrawal) Validate() error {
	if err := ValidateRequestID(w.Request); err != nil {
		return err
	}
	if w.Withdrawn.IsZero() {
		return errors.New("withdrawn is missing")
	}
	if err := ValidateLabel(w.By); err != nil {
		return fmt.Errorf("by: %w", err)
	}
	if len(w.Reason) > 2000 {
		return errors.New("reason is longer than 2000 characters")
	}
	if err := checkText(w.Reason, true); err != nil {
		return fmt.Errorf("reason: %w", err)
	}
	return nil
}

// Request is requests/ID/request.json. It says who asked for a change and
// when. What the change does is never taken from this file: tufgit derives
// it from the proposed metadata beside it, which is what gets signed.
type Request struct {
	Type          string    `json:"type"`
	FormatVersion int       `json:"format_version"`
	ID            string    `json:"id"`
	Kind          string    `json:"kind"`
	Project       string    `json:"project,omitempty"`
	Author        string    `json:"author"`
	Created       time.Time `json:"created"`
	// Base is the commit the proposal was made against (empty for init).
	Base string `json:"base,omitempty"`
	// Note is the requester's own words. It is shown as theirs, never
	// as a description of the change.
	Note string `json:"note,omitempty"`
}

// Validate checks a request's values.
func (r *Request) Validate() error {
	if r.Type != RequestType {
		return fmt.Errorf("type is %q, want %q", printable(r.Type), RequestType)
	}
	if r.FormatVersion != FormatVersion {
		return fmt.Errorf("format_version is %d, this tufgit reads %d", r.FormatVersion, FormatVersion)
	}
	if err := ValidateRequestID(r.ID); err != nil {
		return err
	}
	if r.Kind == "" || len(r.Kind) > 32 {
		return errors.New("kind is missing")
	}
	for i := 0; i < len(r.Kind); i++ {
		if c := r.Kind[i]; !((c >= 'a' && c <= 'z') || c == '-') {
			return fmt.Errorf("kind %q is not a lowercase word", printable(r.Kind))
		}
	}
	if r.Project != "" && !IsNormalizedProjectName(r.Project) {
		return fmt.Errorf("project %q is not a normalized project name", printable(r.Project))
	}
	if err := ValidateLabel(r.Author); err != nil {
		return fmt.Errorf("author: %w", err)
	}
	if r.Created.IsZero() {
		return errors.New("created is missing")
	}
	if r.Base != "" && !isHex40(r.Base) {
		return fmt.Errorf("base %q is not a commit hash", printable(r.Base))
	}
	if len(r.Note) > 2000 {
		return errors.New("note is longer than 2000 characters")
	}
	if err := checkText(r.Note, true); err != nil {
		return fmt.Errorf("note: %w", err)
	}
	return nil
}

func isHex40(s string) bool {
	if len(s) != 40 {
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

// ParseRequest reads requests/ID/request.json.
func ParseRequest(data []byte) (*Request, error) {
	var r Request
	if err := DecodeStrict(data, &r); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// CustomKey is the key under a target's "custom" object that holds
// tufgit's own fields. Other keys are left alone.
const CustomKey = "tufgit"

// TargetCustom is tufgit's part of a target's custom metadata. It is
// signed by the project role, like the rest of the target.
type TargetCustom struct {
	// Yanked marks a release that downloaders skip when they pick the
	// latest version (PEP 592). Its files stay available by exact version.
	Yanked     bool   `json:"yanked,omitempty"`
	YankReason string `json:"yank_reason,omitempty"`
}

// ParseTargetCustom reads tufgit's fields from a target's custom object.
// Absent custom data or an absent "tufgit" key give a zero TargetCustom.
func ParseTargetCustom(custom []byte) (*TargetCustom, error) {
	tc := &TargetCustom{}
	if len(custom) == 0 || string(custom) == "null" {
		return tc, nil
	}
	var obj map[string]jsonRaw
	if err := DecodeStrict(custom, &obj); err != nil {
		return nil, fmt.Errorf("custom is not a JSON object: %w", err)
	}
	raw, ok := obj[CustomKey]
	if !ok {
		return tc, nil
	}
	if err := DecodeStrict(raw, tc); err != nil {
		return nil, fmt.Errorf("custom.%s: %w", CustomKey, err)
	}
	if len(tc.YankReason) > 500 {
		return nil, fmt.Errorf("custom.%s.yank_reason is longer than 500 characters", CustomKey)
	}
	if tc.YankReason != "" && !tc.Yanked {
		return nil, fmt.Errorf("custom.%s has a yank_reason but is not yanked", CustomKey)
	}
	return tc, nil
}

type jsonRaw = json.RawMessage

// ValidateReason checks a yank reason: 1-500 characters of plain text.
func ValidateReason(s string) error {
	if s == "" || utf8.RuneCountInString(s) > 500 {
		return errors.New("a reason must be 1-500 characters")
	}
	return checkText(s, false)
}
