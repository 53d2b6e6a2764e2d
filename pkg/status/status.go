// Package status says what a tufgit repository needs from its operators:
// every role with its version, expiry and who signs it, what expires
// within a window, and the pending requests. It reads git objects only
// (no checkout, so a bare repository works) and verifies nothing: that is
// pkg/verify's job.
package status

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/publish"
	"github.com/tufgit/tufgit/pkg/repo"
)

// Who signs a role, in Role.SignedBy.
const (
	SignedByAdmins = "admins"
	SignedByOnline = "online"
	// maintainers of NAME for a project role
)

// Kinds of roles, in Role.Kind.
const (
	KindRoot      = "root"
	KindTargets   = "targets"
	KindIndex     = "index"
	KindProject   = "project"
	KindSnapshot  = "snapshot"
	KindTimestamp = "timestamp"
)

// Kinds lists the role kinds in the order status reports them.
var Kinds = []string{KindRoot, KindTargets, KindIndex, KindProject, KindSnapshot, KindTimestamp}

// DefaultWithin is the default window: what expires within it is due.
const DefaultWithin = 30 * 24 * time.Hour

// Options say what to report on.
type Options struct {
	Repo *gitstore.Repo
	Rev  gitstore.Hash
	Now  time.Time
	// Within is the window; 0 means DefaultWithin. Online roles
	// (snapshot, timestamp) use at most a quarter of their own validity
	// period, since `publish --refresh` re-signs them at half of it.
	Within time.Duration
}

// Role is one role's state.
type Role struct {
	Role     string    `json:"role"`
	Kind     string    `json:"kind"`
	Version  int64     `json:"version"`
	Expires  time.Time `json:"expires"`
	SignedBy string    `json:"signed_by"`
	// Expired is true when the role is past its expiry at Now.
	Expired bool `json:"expired"`
	// Due is true when it expires within the window (or has expired).
	Due bool `json:"due"`
	// Renew is the command that renews it.
	Renew string `json:"renew"`
	// PendingRequest is a pending request that proposes a new version of
	// the role (a renewal waiting for signatures, say), if any.
	PendingRequest string `json:"pending_request,omitempty"`
}

// KindSummary counts the roles of one kind.
type KindSummary struct {
	Kind    string `json:"kind"`
	Roles   int    `json:"roles"`
	Due     int    `json:"due"`
	Expired int    `json:"expired"`
	// Next is the earliest expiry among them.
	Next time.Time `json:"next"`
}

// Request is a pending request, as status shows it.
type Request struct {
	ID      string   `json:"id"`
	Kind    string   `json:"kind"`
	Project string   `json:"project,omitempty"`
	Summary string   `json:"summary"`
	Missing []string `json:"missing"`
	Ready   bool     `json:"ready"`
	// Problems are why it can not be signed as it is (tampered, stale…).
	Problems []string `json:"problems,omitempty"`
}

// Published is the publisher's record (refs/tufgit/published), when the
// repository holds one. It is not trusted; it only tells the operator.
type Published struct {
	Commit string `json:"commit"`
	// Current is true when the published commit is the one reported on.
	Current bool `json:"current"`
}

// Status is the report.
type Status struct {
	Commit string    `json:"commit"`
	Now    time.Time `json:"now"`
	Within string    `json:"within"`
	// Roles lists every role: root, targets, index roles, project roles,
	// then snapshot and timestamp when a publish record is there.
	Roles []Role `json:"roles"`
	// Expiring lists the roles due (Due), earliest expiry first.
	Expiring  []Role        `json:"expiring"`
	Kinds     []KindSummary `json:"kinds"`
	Requests  []Request     `json:"requests"`
	Published *Published    `json:"published,omitempty"`
	// Problems are files status could not read; run verify.
	Problems []string `json:"problems"`
}

// Expired counts the roles already past their expiry.
func (s *Status) Expired() int {
	n := 0
	for _, r := range s.Expiring {
		if r.Expired {
			n++
		}
	}
	return n
}

// ErrNotInitialized: the commit has no root yet.
var ErrNotInitialized = errors.New("the repository has no root yet")

// Get reports on commit o.Rev.
func Get(o Options) (*Status, error) {
	within := o.Within
	if within == 0 {
		within = DefaultWithin
	}
	if within < 0 {
		return nil, fmt.Errorf("the window may not be negative")
	}
	s, err := repo.OpenAt(o.Repo, o.Rev, o.Now)
	if err != nil {
		return nil, err
	}
	st := &Status{Commit: o.Rev.String(), Now: o.Now.UTC(), Within: layout.Duration(within).String(),
		Roles: []Role{}, Expiring: []Role{}, Requests: []Request{}, Problems: []string{}}
	add := func(name, kind string, version int64, expires time.Time, window time.Duration) {
		r := Role{Role: name, Kind: kind, Version: version, Expires: expires.UTC(), SignedBy: signedBy(name, kind), Renew: renewCommand(name, kind)}
		r.Expired = !o.Now.Before(expires)
		r.Due = r.Expired || expires.Sub(o.Now) <= window
		st.Roles = append(st.Roles, r)
	}
	foundRoot := false
	err = s.Tree.WalkDir(layout.MetadataDir, func(e gitstore.Entry) error {
		le, err := layout.Classify(e.Path)
		if err != nil {
			return nil // not ours to judge: verify reports it
		}
		switch le.Kind {
		case layout.KindRoot:
			raw, err := o.Repo.ReadBlob(e.Hash, layout.MaxRootSize, e.Path)
			if err != nil {
				st.Problems = append(st.Problems, fmt.Sprintf("%s: %v", e.Path, err))
				return nil
			}
			m, err := metadata.Root().FromBytes(raw)
			if err != nil {
				st.Problems = append(st.Problems, fmt.Sprintf("%s: %v", e.Path, err))
				return nil
			}
			foundRoot = true
			add(layout.RoleRoot, KindRoot, m.Signed.Version, m.Signed.Expires, within)
		case layout.KindTargets, layout.KindIndexRole, layout.KindProjectRole:
			raw, err := o.Repo.ReadBlob(e.Hash, layout.MaxTargetsSize, e.Path)
			if err != nil {
				st.Problems = append(st.Problems, fmt.Sprintf("%s: %v", e.Path, err))
				return nil
			}
			m, err := metadata.Targets().FromBytes(raw)
			if err != nil {
				st.Problems = append(st.Problems, fmt.Sprintf("%s: %v", e.Path, err))
				return nil
			}
			add(le.Role, kindOf(le.Kind), m.Signed.Version, m.Signed.Expires, within)
		}
		return nil
	}, func(b gitstore.BadName) error {
		st.Problems = append(st.Problems, fmt.Sprintf("%s: an entry with an unsafe name (run tufgit verify)", b.Dir))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !foundRoot {
		return nil, fmt.Errorf("commit %s: %w (sign the pending init request: tufgit request show init)", o.Rev.String()[:12], ErrNotInitialized)
	}
	rec, err := publish.ReadRecord(o.Repo)
	switch {
	case err != nil:
		st.Problems = append(st.Problems, fmt.Sprintf("the publisher's record: %v", err))
	case rec != nil:
		st.Published = &Published{Commit: rec.Commit, Current: rec.Commit == o.Rev.String()}
		add(layout.RoleSnapshot, KindSnapshot, rec.SnapshotVersion, rec.SnapshotExpires, onlineWindow(within, s.Config.Expiry.For(layout.RoleSnapshot)))
		add(layout.RoleTimestamp, KindTimestamp, rec.TimestampVersion, rec.TimestampExpires, onlineWindow(within, s.Config.Expiry.For(layout.RoleTimestamp)))
	}
	order := map[string]int{}
	for i, k := range Kinds {
		order[k] = i
	}
	sort.SliceStable(st.Roles, func(i, j int) bool {
		a, b := st.Roles[i], st.Roles[j]
		if a.Kind != b.Kind {
			return order[a.Kind] < order[b.Kind]
		}
		return a.Role < b.Role
	})
	pending := map[string]string{} // role -> the first request proposing it
	reqs, err := s.ListRequests()
	if err != nil {
		st.Problems = append(st.Problems, fmt.Sprintf("requests: %v", err))
	}
	for _, r := range reqs {
		if r.Withdrawn != nil {
			continue
		}
		q := Request{ID: r.ID, Kind: r.Kind, Project: r.Project, Ready: r.Ready, Missing: []string{}, Problems: r.Problems}
		if len(r.Summary) > 0 {
			q.Summary = r.Summary[0]
			if len(r.Summary) > 1 {
				q.Summary += fmt.Sprintf(" (and %d more)", len(r.Summary)-1)
			}
		}
		for _, id := range r.Missing {
			q.Missing = append(q.Missing, repo.Labels(r.Labels).Name(id))
		}
		st.Requests = append(st.Requests, q)
		if len(r.Problems) == 0 {
			for _, rs := range r.Roles {
				if _, taken := pending[rs.Role]; !taken {
					pending[rs.Role] = r.ID
				}
			}
		}
	}
	for i := range st.Roles {
		st.Roles[i].PendingRequest = pending[st.Roles[i].Role]
	}
	sums := map[string]*KindSummary{}
	for _, r := range st.Roles {
		k := sums[r.Kind]
		if k == nil {
			k = &KindSummary{Kind: r.Kind, Next: r.Expires}
			sums[r.Kind] = k
		}
		k.Roles++
		if r.Expires.Before(k.Next) {
			k.Next = r.Expires
		}
		if r.Due {
			k.Due++
			st.Expiring = append(st.Expiring, r)
		}
		if r.Expired {
			k.Expired++
		}
	}
	for _, k := range Kinds {
		if sums[k] != nil {
			st.Kinds = append(st.Kinds, *sums[k])
		}
	}
	sort.SliceStable(st.Expiring, func(i, j int) bool { return st.Expiring[i].Expires.Before(st.Expiring[j].Expires) })
	return st, nil
}

// onlineWindow is the window for an online role: at most a quarter of its
// validity period. `publish --refresh` re-signs it at half, so a role
// this close to expiry means the publisher has stopped.
func onlineWindow(within, period time.Duration) time.Duration {
	if q := period / 4; q > 0 && q < within {
		return q
	}
	return within
}

func kindOf(k layout.Kind) string {
	switch k {
	case layout.KindTargets:
		return KindTargets
	case layout.KindIndexRole:
		return KindIndex
	}
	return KindProject
}

func signedBy(name, kind string) string {
	switch kind {
	case KindRoot, KindTargets, KindIndex:
		return SignedByAdmins
	case KindSnapshot, KindTimestamp:
		return SignedByOnline
	}
	return "maintainers of " + name
}

func renewCommand(name, kind string) string {
	switch kind {
	case KindRoot:
		return "tufgit root update --renew --key ROOT-KEY"
	case KindTargets, KindIndex:
		return "tufgit renew targets index --key ADMIN-KEY"
	case KindSnapshot, KindTimestamp:
		return "tufgit publish --refresh --online-key KEY --mirror DEST"
	}
	return "tufgit renew " + name + " --key MAINTAINER-KEY"
}
