package layout

import (
	"encoding/json"
	"fmt"
)

// RewriteField is the field of root's signed part by which the root keys
// accept a rewritten history (issue #19): the publisher never publishes a
// head that does not descend from the commit it last published, unless
// the head's root carries this statement naming exactly that commit.
// Clients ignore the field; it is signed with the rest of root.
const RewriteField = "x-tufgit-rewrite"

// Rewrite is the value of RewriteField.
type Rewrite struct {
	// Abandons is the commit last published (40 hex digits), which the
	// new history no longer contains.
	Abandons string `json:"abandons"`
	// Base is the commit the new history restarts from (40 hex digits):
	// an ancestor of Abandons and of the new head. Everything after it is
	// verified as the hook verifies a push from it.
	Base string `json:"base"`
}

// Valid checks that both commits are full lowercase hashes.
func (r *Rewrite) Valid() error {
	for _, c := range []struct{ name, v string }{{"abandons", r.Abandons}, {"base", r.Base}} {
		if !isCommitHash(c.v) {
			return fmt.Errorf("%s.%s: want a full commit hash (40 lowercase hex digits), got %q", RewriteField, c.name, c.v)
		}
	}
	if r.Abandons == r.Base {
		return fmt.Errorf("%s: base and abandons are the same commit", RewriteField)
	}
	return nil
}

// ParseRewrite reads RewriteField's value from a role's unrecognized
// fields; nil, nil when there is none.
func ParseRewrite(fields map[string]any) (*Rewrite, error) {
	v, ok := fields[RewriteField]
	if !ok {
		return nil, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", RewriteField, err)
	}
	var r Rewrite
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", RewriteField, err)
	}
	if err := r.Valid(); err != nil {
		return nil, err
	}
	return &r, nil
}

func isCommitHash(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
