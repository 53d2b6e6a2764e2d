package repo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/artifacts"
	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
	"github.com/tufgit/tufgit/pkg/verify"
)

// More errors callers test for with errors.Is.
var (
	ErrNotInitialized = errors.New("the repository has no root yet")
	ErrUnknownProject = errors.New("unknown project")
	ErrProjectExists  = errors.New("project already exists")
	ErrUnknownRelease = errors.New("unknown release")
	ErrImmutable      = errors.New("releases are immutable")
	ErrNotAuthorized  = errors.New("key may not sign this change")
	ErrUnknownRequest = errors.New("unknown request")
	ErrConflict       = errors.New("the request conflicts with changes made since")
	ErrNothingToDo    = errors.New("nothing to change")
	ErrFileChanged    = errors.New("the file changed")
	// ErrRemovalPending: the key is being removed from the project by a
	// request an admin has signed, so it signs nothing for it meanwhile.
	ErrRemovalPending = errors.New("the key's removal is pending")
)

// InvalidChangeError is returned when a change would leave the repository
// failing verification; nothing is committed.
type InvalidChangeError struct{ Problems []verify.Problem }

func (e *InvalidChangeError) Error() string {
	var b strings.Builder
	b.WriteString("the change would not verify, so nothing was committed:")
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// NotAuthorizedError says which key was refused and who may sign.
type NotAuthorizedError struct {
	Key    string
	What   string
	Allowd []string
}

func (e *NotAuthorizedError) Error() string {
	return fmt.Sprintf("%s may not sign %s; who may: %s", e.Key, e.What, strings.Join(e.Allowd, ", "))
}
func (e *NotAuthorizedError) Unwrap() error { return ErrNotAuthorized }

// Session is one command's locked view of the repository at its branch head.
type Session struct {
	G      *gitstore.Repo
	Branch string
	Head   gitstore.Hash
	Tree   *gitstore.Tree
	View   *state.View
	Config *layout.Config
	Now    time.Time
	// Store is the external artifact store, when the config names one.
	Store  *artifacts.Store
	unlock func()
	// ctx is the command's context: it cancels store uploads and key
	// loads (Ctrl-C).
	ctx context.Context
}

// Open locks the repository at dir and reads its branch head. ctx
// cancels what the session does over the network (the artifact store,
// KMS keys).
func Open(ctx context.Context, dir string, now time.Time) (*Session, error) {
	g, err := gitstore.Open(dir)
	if err != nil {
		return nil, err
	}
	return OpenStore(ctx, g, now)
}

// OpenStore is Open on a repository already opened (for instance found by
// gitstore.Discover).
func OpenStore(ctx context.Context, g *gitstore.Repo, now time.Time) (*Session, error) {
	unlock, err := g.Lock()
	if err != nil {
		return nil, err
	}
	s := &Session{G: g, Now: now, unlock: unlock, ctx: ctx}
	if err := s.load(); err != nil {
		unlock()
		return nil, err
	}
	return s, nil
}

func (s *Session) load() error {
	branch, err := s.G.HeadBranch()
	if err != nil {
		return err
	}
	head, err := s.G.Branch(branch)
	if err != nil {
		return err
	}
	if head == gitstore.ZeroHash {
		return fmt.Errorf("branch %s has no commits: %w", branch, ErrNotInitialized)
	}
	tree, err := s.G.TreeAt(head)
	if err != nil {
		return err
	}
	view := state.New(tree)
	cfg, err := view.Config()
	if err != nil {
		return fmt.Errorf("%s: %w", layout.ConfigPath, err)
	}
	s.Branch, s.Head, s.Tree, s.Config, s.View = branch, head, tree, cfg, view
	if cfg.Artifacts.Store != "git" {
		if s.Store, err = artifacts.Open(s.context(), cfg.Artifacts.Store); err != nil {
			return err
		}
	}
	return nil
}

// Close releases the lock.
func (s *Session) Close() {
	if s.Store != nil {
		s.Store.Close()
		s.Store = nil
	}
	if s.unlock != nil {
		s.unlock()
		s.unlock = nil
	}
}

// requireRoot fails unless the repository is initialized.
func (s *Session) requireRoot() error {
	if _, err := s.View.Root(); err != nil {
		if state.IsNotExist(err) {
			return fmt.Errorf("%w: sign the pending init request first (tufgit request show init)", ErrNotInitialized)
		}
		return err
	}
	return nil
}

// Where a key's label comes from.
const (
	// LabelSigned: the key object in the signed metadata that delegates
	// to the key carries it (trust.KeyOwnerField), so the delegator's keys
	// signed it.
	LabelSigned = "signed"
	// LabelConfig: only the unsigned project config names the key so;
	// anyone who can push can change it.
	LabelConfig = "config"
	// LabelRequest: only the request proposes it: the requester's word
	// until the request is applied.
	LabelRequest = "request"
)

// KeyLabel is a key's human label and where it comes from.
type KeyLabel struct {
	Label string `json:"label"`
	// Signed is true only for a label the current tree's signed metadata
	// carries in the key object.
	Signed bool   `json:"label_signed"`
	From   string `json:"label_from"`
}

// Labels names keys, by keyid, for messages.
type Labels map[string]KeyLabel

// Name is "alice (33e1c0ffee12)" for a signed label, `33e1c0ffee12 (label
// "alice", unsigned)` for one only the project config gives, `33e1c0ffee12
// (named "alice" by this request)` for one a request proposes, or the short
// keyid alone. A label nobody signed never comes first.
func (l Labels) Name(id string) string {
	return LabelName(id, l[id])
}

// LabelName names keyid id with label kl (see Labels.Name).
func LabelName(id string, kl KeyLabel) string {
	switch {
	case kl.Label == "":
		return trust.Short(id)
	case kl.From == LabelRequest:
		return fmt.Sprintf("%s (named %q by this request)", trust.Short(id), kl.Label)
	case !kl.Signed:
		return fmt.Sprintf("%s (label %q, unsigned)", trust.Short(id), kl.Label)
	default:
		return fmt.Sprintf("%s (%s)", kl.Label, trust.Short(id))
	}
}

// ProjectLabels reads the labels of a project's maintainer keys: the
// signed owner labels in the key objects of the index role that delegates
// it, and, for keys that carry none, the unsigned labels of its project
// config, marked as such. A label already in into is kept when the new
// one is unsigned.
func (s *Session) ProjectLabels(project string, into Labels) {
	s.labelsFrom(s.View, project, into)
	if pc, err := s.ProjectConfig(project); err == nil {
		for _, m := range pc.Maintainers {
			if _, ok := into[m.KeyID]; !ok && m.Name != "" {
				into[m.KeyID] = KeyLabel{Label: m.Name, From: LabelConfig}
			}
		}
	}
}

// RootLabels adds the owner labels the current root signs in its key
// objects (the admins' and the online key), where into has no signed one.
func (s *Session) RootLabels(into Labels) {
	root, err := s.View.Root()
	if err != nil {
		return
	}
	for id, k := range root.Signed.Keys {
		if l, ok := trust.KeyOwner(k); ok {
			if have := into[id]; !have.Signed {
				into[id] = KeyLabel{Label: l, Signed: true, From: LabelSigned}
			}
		}
	}
}

// labelsFrom adds the signed owner labels of role's delegation in v.
func (s *Session) labelsFrom(v *state.View, role string, into Labels) {
	if v == nil {
		return
	}
	d, _, err := v.Delegation(role)
	if err != nil {
		return
	}
	SignedLabels(d, into)
}

// SignedLabels adds the owner labels the key objects of d carry.
func SignedLabels(d *trust.Delegation, into Labels) {
	for _, id := range d.KeyIDs {
		if l, ok := trust.KeyOwner(d.Keys[id]); ok {
			into[id] = KeyLabel{Label: l, Signed: true, From: LabelSigned}
		}
	}
}

// ProjectConfig reads a project's config.
func (s *Session) ProjectConfig(project string) (*layout.ProjectConfig, error) {
	raw, err := s.Tree.ReadFile(layout.ProjectConfigPath(project), layout.MaxConfigSize)
	if err != nil {
		return nil, err
	}
	return layout.ParseProjectConfig(raw)
}

// Change is a set of new role contents, artifacts and project config that
// Submit signs, and applies or turns into a request.
type Change struct {
	Kind    string
	Project string
	Subject string // the commit subject, e.g. "hello: add release 1.2.0"
	Roles   map[string]*metadata.Metadata[metadata.TargetsType]
	// Root is a new root, signed under the current root's keys and its
	// own (TUF demands both thresholds).
	Root *metadata.Metadata[metadata.RootType]
	// RootExpires, when set, is how long the new root is valid instead
	// of the configured root expiry.
	RootExpires   time.Duration
	Artifacts     map[string]Artifact // by sha256 hex
	ProjectConfig *layout.ProjectConfig
	Note          string
	// Expires is how long the roles stay valid; 0 takes tufgit.json's
	// expiry for each role's kind.
	Expires time.Duration
	// Also are further file changes of the same commit (a rebased
	// request's old files, or its withdrawal record).
	Also []gitstore.FileChange
}

// Artifact is a release file on its way into a change, referenced and
// never held in memory: a blob already in the git object database (the
// git store; release add writes it while hashing), or a file on disk that
// Submit streams to an external store, checked against its sha256 again
// as it goes.
type Artifact struct {
	Length int64         // -1 when not known (a blob carried over by id)
	Blob   gitstore.Hash // the git store: the blob, written already
	Path   string        // an external store: the file to upload
}

// SubmitOptions tune Submit.
type SubmitOptions struct {
	NoCommit bool // leave the change in the working tree
}

// Result says what a change did.
type Result struct {
	Commit    string
	Applied   bool
	RequestID string
	Summary   []string
	Changes   []ChangeItem
	Signed    []RoleState
	// Labels names the keys in Signed as Labels.Name shows them: signed
	// labels first, unsigned and proposed ones marked, else the keyid.
	Labels Labels
}

// RoleState is how far one role is signed.
type RoleState struct {
	Role      string   `json:"role"`
	Version   int64    `json:"version"`
	Threshold int      `json:"threshold"`
	Signed    []string `json:"signed_by"`
	Missing   []string `json:"missing"`
	Met       bool     `json:"met"`
}

// Submit finishes each role (version+1, fresh expiry), signs with key
// where key may sign, and commits: the roles in place when every threshold
// is met, else a request for the missing signatures.
func (s *Session) Submit(ch *Change, key *keys.Key, opts SubmitOptions) (*Result, error) {
	if err := s.checkNotFrozen(ch, key); err != nil {
		return nil, err
	}
	names := sortedRoleNames(ch.Roles)
	files := map[string][]byte{}
	for _, name := range names {
		m := ch.Roles[name]
		cur, err := s.View.Role(name)
		switch {
		case err == nil:
			m.Signed.Version = cur.Meta.Signed.Version + 1
		case state.IsNotExist(err):
			m.Signed.Version = 1
			// A project created again continues its retired role's
			// versions: clients remember the highest one they saw.
			if gens, rerr := verify.RetiredGenerations(s.Tree, name); rerr == nil {
				for _, old := range gens {
					m.Signed.Version = max(m.Signed.Version, old.Signed.Version+1)
				}
			}
		default:
			return nil, err
		}
		valid := s.Config.Expiry.For(name)
		if ch.Expires > 0 {
			valid = ch.Expires
		}
		m.Signed.Expires = layout.ExpiresAt(s.Now, valid)
		m.Signatures = []metadata.Signature{}
		raw, err := encode(m)
		if err != nil {
			return nil, err
		}
		files[layout.RolePath(name)] = raw
	}
	var rootDelegs []*trust.Delegation // the new root's, then the current root's
	if ch.Root != nil {
		cur, err := s.View.Root()
		if err != nil {
			return nil, err
		}
		ch.Root.Signed.Version = cur.Signed.Version + 1
		d := ch.RootExpires
		if d == 0 {
			d = s.Config.Expiry.For(layout.RoleRoot)
		}
		ch.Root.Signed.Expires = layout.ExpiresAt(s.Now, d)
		ch.Root.Signatures = []metadata.Signature{}
		raw, err := encode(ch.Root)
		if err != nil {
			return nil, err
		}
		files[layout.RootPath] = raw
		files[layout.RootHistoryPath(ch.Root.Signed.Version)] = raw
		nd, err := trust.FromRoot(ch.Root, layout.RoleRoot)
		if err != nil {
			return nil, err
		}
		od, err := trust.FromRoot(cur, layout.RoleRoot)
		if err != nil {
			return nil, err
		}
		rootDelegs = []*trust.Delegation{nd, od}
	}
	ov := state.New(&state.Overlay{Base: s.Tree, Files: files})
	delegs := map[string]*trust.Delegation{}
	for _, name := range names {
		d, _, err := ov.Delegation(name)
		if err != nil {
			return nil, fmt.Errorf("role %s: %w", name, err)
		}
		delegs[name] = d
	}
	if key != nil && key.CanSign() {
		signed := false
		for _, d := range rootDelegs {
			if slices.Contains(d.KeyIDs, key.ID) && !signed {
				if err := sign(ch.Root, key); err != nil {
					return nil, err
				}
				signed = true
			}
		}
		for _, name := range names {
			if slices.Contains(delegs[name].KeyIDs, key.ID) {
				if err := sign(ch.Roles[name], key); err != nil {
					return nil, fmt.Errorf("role %s: %w", name, err)
				}
				signed = true
			}
		}
		if !signed {
			return nil, s.notAuthorized(key, ch, names, delegs)
		}
	}
	res := &Result{Applied: true}
	for i, d := range rootDelegs {
		c := trust.Check(d, ch.Root, ch.Root.Signatures)
		rs := RoleState{Role: layout.RoleRoot, Version: ch.Root.Signed.Version, Threshold: d.Threshold, Signed: nonNil(c.Valid), Missing: nonNil(c.Missing), Met: c.Met}
		if i == 1 {
			rs.Role = "root (as signed by the current root)"
		}
		res.Signed = append(res.Signed, rs)
		if !c.Met {
			res.Applied = false
		}
	}
	for _, name := range names {
		m := ch.Roles[name]
		c := trust.Check(delegs[name], m, m.Signatures)
		res.Signed = append(res.Signed, RoleState{Role: name, Version: m.Signed.Version, Threshold: delegs[name].Threshold, Signed: c.Valid, Missing: c.Missing, Met: c.Met})
		if !c.Met {
			res.Applied = false
		}
	}
	res.Changes = s.DescribeChange(ov, ch.Root, ch.Roles, ch.ProjectConfig)
	s.markUnconsented(res.Changes, ch.Root, ch.Roles)
	res.Summary = Summary(res.Changes)

	var changes []gitstore.FileChange
	put := func(p string, data []byte) { changes = append(changes, gitstore.FileChange{Path: p, Data: data}) }
	for sha, a := range ch.Artifacts {
		// A change without the blob would read as deleting the path.
		if s.Store == nil && a.Blob == gitstore.ZeroHash {
			return nil, fmt.Errorf("artifact %s: not written to git before the change", sha)
		}
	}
	if s.Store != nil {
		// Content-addressed and unreferenced until signed metadata lists
		// them, so uploading before the commit is harmless.
		for _, sha := range slices.Sorted(maps.Keys(ch.Artifacts)) {
			if err := s.putArtifact(sha, ch.Artifacts[sha]); err != nil {
				return nil, err
			}
		}
		ch.Artifacts = nil
	}
	var pcRaw []byte
	if ch.ProjectConfig != nil {
		var err error
		if pcRaw, err = layout.EncodeFile(ch.ProjectConfig); err != nil {
			return nil, err
		}
	}
	if res.Applied {
		if ch.Root != nil {
			raw, err := encode(ch.Root)
			if err != nil {
				return nil, err
			}
			put(layout.RootPath, raw)
			put(layout.RootHistoryPath(ch.Root.Signed.Version), raw)
			if cfg, err := s.followOnlineKey(ch.Root); err != nil {
				return nil, err
			} else if cfg != nil {
				put(layout.ConfigPath, cfg)
			}
		}
		for _, name := range names {
			raw, err := encode(ch.Roles[name])
			if err != nil {
				return nil, err
			}
			put(layout.RolePath(name), raw)
		}
		rm, err := s.removals(ov, names, "")
		if err != nil {
			return nil, err
		}
		changes = append(changes, rm...)
		for sha, a := range ch.Artifacts {
			if ok, _ := s.Tree.Exists(layout.ArtifactPath(sha)); !ok {
				changes = append(changes, gitstore.FileChange{Path: layout.ArtifactPath(sha), Blob: a.Blob})
			}
		}
		if pcRaw != nil {
			put(layout.ProjectConfigPath(ch.ProjectConfig.Name), pcRaw)
		}
	} else {
		id, err := s.newRequestID(ch.Project, ch.Kind)
		if err != nil {
			return nil, err
		}
		res.RequestID = id
		author, err := s.G.Author()
		if err != nil {
			return nil, err
		}
		req := layout.Request{Type: layout.RequestType, FormatVersion: layout.FormatVersion, ID: id, Kind: ch.Kind,
			Project: ch.Project, Author: author.String(), Created: s.Now.UTC().Truncate(time.Second), Base: s.Head.String(), Note: ch.Note}
		raw, err := layout.EncodeFile(req)
		if err != nil {
			return nil, err
		}
		put(layout.RequestPath(id), raw)
		if ch.Root != nil {
			raw, err := encode(ch.Root)
			if err != nil {
				return nil, err
			}
			put(layout.RequestRolePath(id, layout.RoleRoot), raw)
		}
		for _, name := range names {
			raw, err := encode(ch.Roles[name])
			if err != nil {
				return nil, err
			}
			put(layout.RequestRolePath(id, name), raw)
		}
		for sha, a := range ch.Artifacts {
			changes = append(changes, gitstore.FileChange{Path: layout.RequestArtifactPath(id, sha), Blob: a.Blob})
		}
		if pcRaw != nil {
			put(layout.RequestProjectPath(id), pcRaw)
		}
	}
	changes = append(changes, ch.Also...)
	msg := commitMessage(ch.Subject, res, key)
	h, err := s.commit(changes, msg, opts.NoCommit)
	if err != nil {
		return nil, err
	}
	res.Commit = h.String()
	res.Labels = Labels{}
	s.RootLabels(res.Labels)
	for name := range ch.Roles {
		if layout.RoleKind(name) == layout.KindProjectRole {
			s.ProjectLabels(name, res.Labels)
		}
	}
	return res, nil
}

// putArtifact streams a release file to the external store; the store
// refuses it unless it still hashes to sha (a file changed since release
// add hashed it).
func (s *Session) putArtifact(sha string, a Artifact) error {
	var src io.ReadCloser
	var err error
	if a.Path == "" {
		src, a.Length, err = s.G.OpenBlob(a.Blob)
	} else {
		src, err = os.Open(a.Path)
	}
	if err != nil {
		return err
	}
	defer src.Close()
	err = s.Store.PutFrom(s.context(), sha, src, a.Length)
	if errors.Is(err, artifacts.ErrMismatch) {
		return fmt.Errorf("%s: %w since it was hashed (%v): nothing was uploaded; run release add again", a.Path, ErrFileChanged, err)
	}
	return err
}

func (s *Session) notAuthorized(key *keys.Key, ch *Change, names []string, delegs map[string]*trust.Delegation) error {
	labels := Labels{}
	if ch.Project != "" {
		s.ProjectLabels(ch.Project, labels)
	}
	if ch.ProjectConfig != nil {
		for _, m := range ch.ProjectConfig.Maintainers {
			if _, ok := labels[m.KeyID]; !ok {
				labels[m.KeyID] = KeyLabel{Label: m.Name, From: LabelRequest}
			}
		}
	}
	seen := map[string]bool{}
	var who []string
	for _, name := range names {
		for _, id := range delegs[name].KeyIDs {
			if !seen[id] {
				seen[id] = true
				who = append(who, labels.Name(id))
			}
		}
	}
	what := ch.Subject
	if what == "" {
		what = strings.Join(names, ", ")
	}
	return &NotAuthorizedError{Key: fmt.Sprintf("key %s (%s)", key.Ref, trust.Short(key.ID)), What: what, Allowd: who}
}

// followOnlineKey returns tufgit.json with online_key following a new
// root whose timestamp keys no longer include the configured one (nil when
// nothing changes). The new keyid comes from signed metadata; the KMS URI,
// which named the old key, is dropped.
func (s *Session) followOnlineKey(root *metadata.Metadata[metadata.RootType]) ([]byte, error) {
	if s.Config == nil {
		return nil, nil
	}
	ts := root.Signed.Roles[layout.RoleTimestamp]
	if ts == nil || len(ts.KeyIDs) == 0 || slices.Contains(ts.KeyIDs, s.Config.OnlineKey.KeyID) {
		return nil, nil
	}
	cfg := *s.Config
	cfg.OnlineKey = layout.OnlineKey{KeyID: ts.KeyIDs[0]}
	return layout.EncodeFile(cfg)
}

// commit builds the tree, verifies the move from the head to it, and only
// then moves the branch and updates the working tree and index.
func (s *Session) commit(changes []gitstore.FileChange, msg string, noCommit bool) (gitstore.Hash, error) {
	if err := s.G.CheckWorkTree(s.Tree, changes); err != nil {
		return gitstore.ZeroHash, fmt.Errorf("%w: commit or discard your edits first (git status)", err)
	}
	tree, err := s.G.BuildTree(s.Tree, changes)
	if err != nil {
		return gitstore.ZeroHash, err
	}
	author, err := s.G.Author()
	if err != nil {
		return gitstore.ZeroHash, err
	}
	c, err := s.G.CommitTree(gitstore.CommitOptions{Branch: s.Branch, Parent: s.Head, Tree: tree, Message: msg, Author: author, When: s.Now, Detached: true})
	if err != nil {
		return gitstore.ZeroHash, err
	}
	vo := verify.Options{Now: s.Now}
	if s.Store != nil {
		vo.Store = s.Store
	}
	rep, err := verify.Since(s.G, s.Head, c, vo)
	if err != nil {
		return gitstore.ZeroHash, err
	}
	if !rep.Valid() {
		return gitstore.ZeroHash, &InvalidChangeError{Problems: rep.Problems}
	}
	if noCommit {
		return gitstore.ZeroHash, s.G.WriteWorkTree(changes, false)
	}
	if err := s.G.SetBranch(s.Branch, c, s.Head); err != nil {
		return gitstore.ZeroHash, err
	}
	if err := s.G.WriteWorkTree(changes, true); err != nil {
		return c, fmt.Errorf("commit %s made, but updating the working tree failed (run `git reset --hard`): %w", c.String()[:12], err)
	}
	return c, nil
}

func (s *Session) newRequestID(project, kind string) (string, error) {
	prefix := project
	if prefix == "" {
		prefix = "admin"
	}
	if len(prefix) > 40 {
		prefix = prefix[:40]
	}
	for i := 0; i < 10; i++ {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		id := strings.TrimSuffix(prefix, "-") + "-" + hex.EncodeToString(b[:])
		if ok, _ := s.Tree.Exists(layout.RequestDir(id)); !ok {
			return id, nil
		}
	}
	return "", errors.New("could not pick a free request id")
}

func commitMessage(subject string, res *Result, key *keys.Key) string {
	var b strings.Builder
	by := ""
	if key != nil && key.CanSign() {
		by = keyLabel(key)
	}
	switch {
	case res.Applied && by != "":
		fmt.Fprintf(&b, "%s (signed by %s)\n\n", subject, by)
	case res.Applied:
		fmt.Fprintf(&b, "%s\n\n", subject)
	default:
		fmt.Fprintf(&b, "%s: request %s", subject, res.RequestID)
		if by != "" {
			fmt.Fprintf(&b, " (signed by %s)", by)
		}
		b.WriteString("\n\n")
	}
	for _, l := range res.Summary {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	for _, r := range res.Signed {
		state := "complete"
		if !r.Met {
			state = fmt.Sprintf("waiting for %d more", r.Threshold-len(r.Signed))
		}
		fmt.Fprintf(&b, "%s v%d: %d of %d signatures, %s\n", r.Role, r.Version, len(r.Signed), r.Threshold, state)
	}
	return b.String()
}

// keyLabel names a key in commit messages: its file name without the
// extension, or the KMS URI.
func keyLabel(k *keys.Key) string {
	ref := k.Ref
	if i := strings.LastIndexByte(ref, '/'); i >= 0 && !strings.Contains(ref, "://") {
		ref = ref[i+1:]
	}
	return strings.TrimSuffix(ref, ".key")
}

// context is the session's context; a Session from OpenAt has none and
// does nothing cancellable.
func (s *Session) context() context.Context {
	if s.ctx == nil {
		return context.Background()
	}
	return s.ctx
}

// OpenAt reads the tree of commit rev for reading only: no lock, no
// branch, no artifact store. It works in a bare repository. Changes
// (Submit, Sign) need Open.
func OpenAt(g *gitstore.Repo, rev gitstore.Hash, now time.Time) (*Session, error) {
	tree, err := g.TreeAt(rev)
	if err != nil {
		return nil, err
	}
	view := state.New(tree)
	cfg, err := view.Config()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", layout.ConfigPath, err)
	}
	return &Session{G: g, Head: rev, Tree: tree, Config: cfg, View: view, Now: now}, nil
}

// checkNotFrozen refuses a change to a project role signed with a key that
// an admin-signed pending request takes away from the project: verify
// would not count its signature (a key can not race its own removal).
func (s *Session) checkNotFrozen(ch *Change, key *keys.Key) error {
	if key == nil || !key.CanSign() {
		return nil
	}
	for _, name := range sortedRoleNames(ch.Roles) {
		if layout.RoleKind(name) != layout.KindProjectRole {
			continue
		}
		if id, ok := verify.FrozenKeys(s.Tree, s.View, name, s.Now)[key.ID]; ok {
			return fmt.Errorf("%w: key %s (%s) can not sign for %s while request %s, which an admin has signed, removes it from %s",
				ErrRemovalPending, key.Ref, trust.Short(key.ID), name, id, name)
		}
	}
	return nil
}
