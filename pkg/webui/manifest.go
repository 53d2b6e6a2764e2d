package webui

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/trust"
)

// The manifest (manifest.json beside the pages) remembers what the last
// build judged and rendered, so that the next build checks again only
// the signatures of files that changed and rewrites only the pages whose
// inputs changed. It is a cache: a missing, unreadable or older manifest
// means a full build, never a wrong page.

const manifestFormat = 1

// ManifestName is the manifest's file name among the pages.
const ManifestName = "manifest.json"

// pagesVersion changes whenever templates change what a page shows, so
// that pages rendered by an older tufgit are all rendered again.
const pagesVersion = "tufgit-ui-2"

// Manifest is what one build leaves for the next.
type Manifest struct {
	Format int `json:"format"`
	// Judged is, per metadata file, the signature judgment and what it
	// was judged from.
	Judged map[string]Judgment `json:"judged"`
	// Pages is, per page, a digest of what it was rendered from.
	Pages map[string]string `json:"pages"`
	// Roles is, per targets-type role, what pages need of it, so that an
	// unchanged role need not be read again.
	Roles map[string]CachedRole `json:"roles,omitempty"`
	// Site is the tufgit layer's memory (release dates and history found
	// in git so far, and the commit they were read up to).
	Site *SiteMemo `json:"site,omitempty"`
}

// Judgment is one file's signature state and its input digest.
type Judgment struct {
	Input string `json:"input"`
	Valid int    `json:"valid"`
	Met   bool   `json:"met"`
	Sigs  []Sig  `json:"sigs"`
}

// CachedRole is what the pages need of a role that delegates nothing.
type CachedRole struct {
	Digest      string    `json:"digest"`
	File        string    `json:"file"`
	Version     int64     `json:"version"`
	Expires     time.Time `json:"expires"`
	SpecVersion string    `json:"spec_version"`
	// Leaf: the role delegates nothing (only such roles are cached).
	Leaf bool `json:"leaf"`
	// NotProject: its targets are not all NAME/VERSION/FILE.
	NotProject bool `json:"not_project,omitempty"`
	// Project is the role's tufgit project, as its own metadata shows it
	// (releases; maintainers come from the delegating role).
	Project *cachedProject `json:"project,omitempty"`
}

type cachedProject struct {
	TargetsURL string           `json:"targets_url"`
	Releases   []ProjectRelease `json:"releases"`
	Recovery   *layout.Recovery `json:"recovery,omitempty"`
}

// ParseManifest reads a manifest; anything unusable yields nil (a full
// build), never an error.
func ParseManifest(data []byte) *Manifest {
	var m Manifest
	if len(data) == 0 || json.Unmarshal(data, &m) != nil || m.Format != manifestFormat {
		return nil
	}
	if m.Judged == nil {
		m.Judged = map[string]Judgment{}
	}
	if m.Pages == nil {
		m.Pages = map[string]string{}
	}
	return &m
}

// judgmentKey digests what a signature judgment depends on: the file's
// bytes and who may sign it.
func judgmentKey(role *Role, d *trust.Delegation) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s", pagesVersion, role.Name, d.Threshold, role.Digest)
	ids := append([]string(nil), d.KeyIDs...)
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(h, "\x00%s", id)
		if k := d.Keys[id]; k != nil {
			fmt.Fprintf(h, ":%s:%s:%s", k.Type, k.Scheme, k.Value.PublicKey)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// rawDigest identifies a file's bytes.
func rawDigest(raw []byte) string {
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:])
}

// digest hashes the inputs of one page.
func digest(parts ...any) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	h.Write([]byte(pagesVersion))
	for _, p := range parts {
		if b, ok := p.([]byte); ok {
			fmt.Fprintf(h, "\x00%d:", len(b))
			h.Write(b)
			continue
		}
		_ = enc.Encode(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}
