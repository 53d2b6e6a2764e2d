// Package verify checks that a tree of a tufgit repository obeys TUF's
// rules and tufgit's layout, and that the move from one tree to another is
// a legal transition. It reads git objects only (no checkout, so it works
// in bare repositories and inside a pre-receive hook) and never loads a
// private key: it trusts nothing but the public metadata.
package verify

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Codes name the kind of a problem, for machines.
const (
	CodeLayout     = "layout"     // a path, name or file mode the layout does not allow
	CodeFormat     = "format"     // a file that does not parse or does not match its format
	CodeKeys       = "keys"       // a bad key, keyid or threshold
	CodeSignature  = "signature"  // a signature that does not verify or is by a key that may not sign
	CodeThreshold  = "threshold"  // too few valid signatures
	CodeDelegation = "delegation" // a delegation that breaks the layout's structure, or a target outside its role's paths
	CodeVersion    = "version"    // a version that does not grow, or a gap in root history
	CodeImmutable  = "immutable"  // a change to something published, like a release's bytes
	CodeMissing    = "missing"    // a file that must exist but does not
	CodeOrphan     = "orphan"     // a file nothing signed refers to
	CodeArtifact   = "artifact"   // an artifact whose length or hashes do not match its target
	CodeRequest    = "request"    // a malformed or tampered request
	CodeConfig     = "config"     // a bad repository or project config
	CodeExpired    = "expired"    // metadata past its expiry
	CodeExpiry     = "expiry"     // an expiry further ahead than tufgit's cap for the role (layout.MaxSignedExpiry)
)

// Problem is one thing wrong with the tree.
type Problem struct {
	Path    string `json:"path,omitempty"`
	Role    string `json:"role,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	if p.Role != "" {
		b.WriteString("role ")
		b.WriteString(p.Role)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	b.WriteString(" [")
	b.WriteString(p.Code)
	b.WriteString("]")
	return b.String()
}

// RoleSignatures is how far one role of a request is signed.
type RoleSignatures struct {
	Role      string   `json:"role"`
	Version   int64    `json:"version"`
	Threshold int      `json:"threshold"`
	Signed    []string `json:"signed_by"`
	Missing   []string `json:"missing"`
	Met       bool     `json:"met"`
	// Also is set for root, which must be signed by the previous root's
	// threshold as well as its own.
	Also *RoleSignatures `json:"previous_root,omitempty"`
}

// PendingRequest is a request waiting for signatures.
type PendingRequest struct {
	ID      string           `json:"id"`
	Kind    string           `json:"kind"`
	Project string           `json:"project,omitempty"`
	Author  string           `json:"author"`
	Created time.Time        `json:"created"`
	Roles   []RoleSignatures `json:"roles"`
	Ready   bool             `json:"ready"`
	// Stale lists why the request can no longer apply, e.g. a role that
	// moved past the proposed version.
	Stale []string `json:"stale,omitempty"`
}

// Stats counts the work a verification did.
type Stats struct {
	Mode          string `json:"mode"`
	Changes       int    `json:"changes,omitempty"`
	RolesChecked  int    `json:"roles_checked"`
	Projects      int    `json:"projects"`
	Targets       int    `json:"targets"`
	Artifacts     int    `json:"artifacts_checked"`
	Requests      int    `json:"requests"`
	MetadataReads int    `json:"metadata_reads"`
}

// Report is the result of a verification.
type Report struct {
	Commit      string           `json:"commit"`
	Since       string           `json:"since,omitempty"`
	Initialized bool             `json:"initialized"`
	Problems    []Problem        `json:"problems"`
	Expired     []Problem        `json:"expired"`
	Pending     []PendingRequest `json:"pending"`
	Stats       Stats            `json:"stats"`
}

// Valid reports whether no problem was found (expiry aside).
func (r *Report) Valid() bool { return len(r.Problems) == 0 }

func (r *Report) add(path, role, code, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Path: path, Role: role, Code: code, Message: fmt.Sprintf(format, args...)})
}

func (r *Report) expired(path, role string, when time.Time, now time.Time) {
	r.Expired = append(r.Expired, Problem{Path: path, Role: role, Code: CodeExpired,
		Message: fmt.Sprintf("expired %s (%s ago)", when.UTC().Format(time.RFC3339), roundDays(now.Sub(when)))})
}

func roundDays(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	return d.Round(time.Minute).String()
}

func (r *Report) finish() {
	r.Problems = sortProblems(r.Problems)
	r.Expired = sortProblems(r.Expired)
	sort.Slice(r.Pending, func(i, j int) bool { return r.Pending[i].ID < r.Pending[j].ID })
	if r.Problems == nil {
		r.Problems = []Problem{}
	}
	if r.Expired == nil {
		r.Expired = []Problem{}
	}
	if r.Pending == nil {
		r.Pending = []PendingRequest{}
	}
}

func sortProblems(ps []Problem) []Problem {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Path != ps[j].Path {
			return ps[i].Path < ps[j].Path
		}
		return ps[i].Message < ps[j].Message
	})
	// Drop exact duplicates: one cause reached by two routes.
	out := ps[:0]
	for i, p := range ps {
		if i > 0 && p == ps[i-1] {
			continue
		}
		out = append(out, p)
	}
	return out
}
