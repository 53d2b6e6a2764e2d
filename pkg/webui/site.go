package webui

// What the tufgit layer knows beyond signed metadata, handed in by the
// caller (publish, `tufgit ui build --repo`): the repository's name,
// projects' display names and key labels, release dates and history read
// from git, and the pending signature requests. All of it is optional;
// the generic pages need none of it.

import (
	"fmt"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Site is the tufgit layer's input.
type Site struct {
	// Name is the repository's name (tufgit.json "name").
	Name string
	// Projects holds unsigned facts about projects, by name.
	Projects map[string]ProjectInfo
	// Requests are the pending signature requests.
	Requests []Request
	// Memo is what git history told: release dates and project history.
	Memo *SiteMemo
	// TargetsURL is where the mirror serves target files, relative to the
	// pages or absolute; "../targets/" when empty (pages under ui/).
	TargetsURL string
	// MetadataURL is where the mirror serves metadata, for the download
	// instructions; "../metadata/" when empty.
	MetadataURL string
}

// ProjectInfo is what a project's unsigned config says.
type ProjectInfo struct {
	DisplayName string            `json:"display_name,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"` // keyid → name
}

// SiteMemo is what git history told, kept in the manifest so that the
// next publish reads only the commits since.
type SiteMemo struct {
	// Commit is the commit history was read up to.
	Commit string `json:"commit"`
	// Dates is, per project and version, when the release first appeared.
	Dates map[string]map[string]time.Time `json:"dates"`
	// History is, per project, its changes, newest first (at most
	// MaxHistory).
	History map[string][]Event `json:"history"`
	// Configs is, per project config file, its git blob and what it
	// said, so that unchanged configs are not read again.
	Configs map[string]ConfigMemo `json:"configs,omitempty"`
}

// ConfigMemo is one project config as last read.
type ConfigMemo struct {
	Blob    string      `json:"blob"`
	Project string      `json:"project"`
	Info    ProjectInfo `json:"info"`
}

// MaxHistory is how many changes a project page lists.
const MaxHistory = 50

// Event is one commit's change to a project.
type Event struct {
	When    time.Time `json:"when"`
	Commit  string    `json:"commit"`
	Author  string    `json:"author"`
	Subject string    `json:"subject"`
	// Changes says what the commit did to the project's role.
	Changes []string `json:"changes"`
	// SignedBy names the keys that signed the project's new role.
	SignedBy []string `json:"signed_by"`
}

// Request is a pending signature request, as the CLI describes it.
type Request struct {
	ID, Kind, Project, Author string
	Created                   time.Time
	Note                      string
	// Summary is the semantic summary `tufgit request show` prints.
	Summary []string
	// Roles is, per role the request rewrites, who signed and who not.
	Roles    []RequestRole
	SignedBy []string // names (or key ids) of valid signers
	Missing  []string // names (or key ids) who could still sign
	Ready    bool
	// Needed is how many more valid signatures the request needs.
	Needed    int
	Problems  []string
	Withdrawn bool
}

// RequestRole is one role of a request.
type RequestRole struct {
	Role      string
	Version   int64
	Threshold int
	Signed    []string
	Missing   []string
	Met       bool
}

// Merge adds what newer commits told to m (which may be nil) and returns
// the result; newer history comes first.
func (m *SiteMemo) Merge(newer *SiteMemo) *SiteMemo {
	if m == nil {
		return newer
	}
	if newer == nil {
		return m
	}
	out := &SiteMemo{Commit: newer.Commit, Dates: map[string]map[string]time.Time{}, History: map[string][]Event{}, Configs: newer.Configs}
	for p, vs := range m.Dates {
		out.Dates[p] = map[string]time.Time{}
		for v, t := range vs {
			out.Dates[p][v] = t
		}
	}
	for p, vs := range newer.Dates {
		if out.Dates[p] == nil {
			out.Dates[p] = map[string]time.Time{}
		}
		for v, t := range vs {
			if old, ok := out.Dates[p][v]; !ok || t.Before(old) {
				out.Dates[p][v] = t
			}
		}
	}
	for p, ev := range m.History {
		out.History[p] = ev
	}
	for p, ev := range newer.History {
		all := append(append([]Event{}, ev...), out.History[p]...)
		if len(all) > MaxHistory {
			all = all[:MaxHistory]
		}
		out.History[p] = all
	}
	return out
}

// ThresholdWords says a threshold as people do: "any 2 of 3
// maintainers", "all 2 maintainers", "the 1 maintainer".
func ThresholdWords(t, n int, who string) string {
	switch {
	case n == 1 && t == 1:
		return "the one " + who
	case t == n:
		return fmt.Sprintf("all %d %ss", n, who)
	case t > n:
		return fmt.Sprintf("%d %ss, but only %d keys are listed: nobody can sign", t, who, n)
	}
	return fmt.Sprintf("any %d of %d %ss", t, n, who)
}

// keyOwnerFields are the key fields other tools use to name a key's owner.
var keyOwnerFields = []string{"x-tuf-on-ci-keyowner", "x-keyowner", "x-tufgit-keyowner"}

// KeyOwner is the owner a key's own fields name ("@alice" for tuf-on-ci),
// or "".
func KeyOwner(k *metadata.Key) string {
	if k == nil {
		return ""
	}
	for _, f := range keyOwnerFields {
		if v, ok := k.UnrecognizedFields[f].(string); ok && v != "" {
			return v
		}
	}
	return ""
}
