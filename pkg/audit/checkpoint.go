package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tufgit/tufgit/pkg/atomicfile"
	"github.com/tufgit/tufgit/pkg/gitstore"
)

// The checkpoint lives in the git directory, never in the tree and never
// under a ref: it is this machine's own record of what it audited. A ref
// could arrive from elsewhere (a mirror clone copies refs/tufgit/*), and
// a checkpoint that someone else wrote would let them skip history.
const (
	CheckpointFile     = "tufgit-audit.json"
	checkpointFormat   = 1
	maxCheckpointSize  = 64 << 10
	maxCheckpointItems = 64
)

// checkpointEntry is the last clean audit of one revision under one set of
// rules.
type checkpointEntry struct {
	Rev         string    `json:"rev"`
	Rules       string    `json:"rules"` // rulesHash(mode)
	Commit      string    `json:"commit"`
	Audited     time.Time `json:"audited"`
	TrustedFrom string    `json:"trusted_from,omitempty"`
}

type checkpointDoc struct {
	Type          string            `json:"type"`
	FormatVersion int               `json:"format_version"`
	Entries       []checkpointEntry `json:"entries"`
}

const checkpointType = "tufgit-audit-checkpoint"

func checkpointPath(g *gitstore.Repo) string { return filepath.Join(g.GitDir(), CheckpointFile) }

// rulesHash names the rules a checkpoint was made under.
func rulesHash(mode string) string {
	s := sha256.Sum256([]byte(RulesVersion + "\x00" + mode))
	return hex.EncodeToString(s[:])
}

// readDoc reads the checkpoint file; a missing file is an empty document.
// Its contents are not trusted: anything malformed is an error, and the
// caller then ignores the checkpoint.
func readDoc(g *gitstore.Repo) (checkpointDoc, error) {
	var doc checkpointDoc
	fi, err := os.Lstat(checkpointPath(g))
	if errors.Is(err, os.ErrNotExist) {
		return checkpointDoc{Type: checkpointType, FormatVersion: checkpointFormat}, nil
	}
	if err != nil {
		return doc, err
	}
	if !fi.Mode().IsRegular() {
		// A symlink, a FIFO that would block, a device: not ours.
		return doc, fmt.Errorf("%s is not a regular file", CheckpointFile)
	}
	f, err := os.Open(checkpointPath(g))
	if err != nil {
		return doc, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxCheckpointSize+1))
	if err != nil {
		return doc, err
	}
	if len(raw) > maxCheckpointSize {
		return doc, fmt.Errorf("%s is over %d bytes", CheckpointFile, maxCheckpointSize)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return doc, fmt.Errorf("%s is malformed: %v", CheckpointFile, err)
	}
	if dec.More() {
		return doc, fmt.Errorf("%s is malformed: data after the JSON object", CheckpointFile)
	}
	if doc.Type != checkpointType || doc.FormatVersion != checkpointFormat {
		return doc, fmt.Errorf("%s is not a format %d audit checkpoint", CheckpointFile, checkpointFormat)
	}
	if len(doc.Entries) > maxCheckpointItems {
		return doc, fmt.Errorf("%s has more than %d entries", CheckpointFile, maxCheckpointItems)
	}
	for _, e := range doc.Entries {
		if !isHex(e.Commit, 40) || !isHex(e.Rules, 64) || (e.TrustedFrom != "" && !isHex(e.TrustedFrom, 40)) {
			return doc, fmt.Errorf("%s is malformed: an entry's commit or rules is not a hash", CheckpointFile)
		}
	}
	return doc, nil
}

// readCheckpoint returns the entry for rev under rules, if any.
func readCheckpoint(g *gitstore.Repo, rev, rules string) (checkpointEntry, bool, error) {
	doc, err := readDoc(g)
	if err != nil {
		return checkpointEntry{}, false, err
	}
	for _, e := range doc.Entries {
		if e.Rev == rev && e.Rules == rules {
			return e, true, nil
		}
	}
	return checkpointEntry{}, false, nil
}

// writeCheckpoint records e, replacing the entry for the same rev and
// rules. The file is replaced atomically, under a lock so that two audits
// do not lose each other's entries.
func writeCheckpoint(g *gitstore.Repo, e checkpointEntry) error {
	unlock, err := g.LockNamed("tufgit-audit")
	if err != nil {
		return err
	}
	defer unlock()
	doc, err := readDoc(g)
	if err != nil {
		doc = checkpointDoc{} // an unreadable file is replaced
	}
	doc.Type, doc.FormatVersion = checkpointType, checkpointFormat
	out := []checkpointEntry{e}
	for _, o := range doc.Entries {
		if (o.Rev != e.Rev || o.Rules != e.Rules) && len(out) < maxCheckpointItems {
			out = append(out, o)
		}
	}
	doc.Entries = out
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(checkpointPath(g), append(data, '\n'), 0o644)
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
