// Package gitsite reads, from a tufgit repository's git history, what
// the web UI shows beyond signed metadata: the repository's name, project
// display names and maintainer labels, when each release appeared, who
// changed what in each project (and which keys signed it), and the
// pending signature requests. pkg/webui stays TUF-only; this is the
// tufgit layer that feeds it.
package gitsite

import (
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/audit"
	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/webui"
)

// MaxCommits bounds how far back one Collect reads history; releases
// older than that have no date on their page.
const MaxCommits = 20000

// Collect reads the site's facts at head. prev is what an earlier
// Collect found (from the UI manifest); when its commit is an ancestor of
// head only the commits since are read.
func Collect(g *gitstore.Repo, head gitstore.Hash, now time.Time, prev *webui.SiteMemo) (*webui.Site, error) {
	tree, err := g.TreeAt(head)
	if err != nil {
		return nil, err
	}
	site := &webui.Site{Projects: map[string]webui.ProjectInfo{}}
	raw, err := tree.ReadFile(layout.ConfigPath, layout.MaxConfigSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", layout.ConfigPath, err)
	}
	cfg, err := layout.ParseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", layout.ConfigPath, err)
	}
	site.Name = cfg.Name
	var known map[string]webui.ConfigMemo
	if prev != nil {
		known = prev.Configs
	}
	configs, err := readProjects(tree, site, known)
	if err != nil {
		return nil, err
	}
	// Signers in history are named as tufgit names them (repo.Labels):
	// a label the index role signs, or one only the project config gives,
	// after the keyid and marked unsigned. Read per project, only for the
	// projects history shows.
	s, err := repo.OpenAt(g, head, now)
	if err != nil {
		return nil, err
	}
	byProject := map[string]repo.Labels{}
	labelsOf := func(project string) repo.Labels {
		l, ok := byProject[project]
		if !ok {
			l = repo.Labels{}
			s.ProjectLabels(project, l)
			byProject[project] = l
		}
		return l
	}
	if site.Requests, err = requests(g, head, now); err != nil {
		return nil, err
	}
	since := gitstore.ZeroHash
	if prev != nil && prev.Commit != "" {
		c := gitstore.NewHash(prev.Commit)
		if ok, err := g.IsAncestor(c, head); err == nil && ok {
			since = c
		} else {
			prev = nil // history was rewritten: read it all again
		}
	}
	memo, err := history(g, head, since, labelsOf)
	if err != nil {
		return nil, err
	}
	memo.Configs = configs
	site.Memo = prev.Merge(memo)
	return site, nil
}

// readProjects reads every project config (display name, labels); those
// whose blob is as known are not read again. Unreadable ones are skipped:
// they are unsigned, and verify reports them.
func readProjects(tree *gitstore.Tree, site *webui.Site, known map[string]webui.ConfigMemo) (map[string]webui.ConfigMemo, error) {
	seen := map[string]webui.ConfigMemo{}
	err := tree.WalkDir(layout.ProjectsDir, func(e gitstore.Entry) error {
		if !strings.HasSuffix(e.Path, ".json") || !e.IsRegular() {
			return nil
		}
		if k, ok := known[e.Path]; ok && k.Blob == e.Hash.String() {
			site.Projects[k.Project] = k.Info
			seen[e.Path] = k
			return nil
		}
		raw, err := tree.ReadFile(e.Path, layout.MaxConfigSize)
		if err != nil {
			return nil
		}
		pc, err := layout.ParseProjectConfig(raw)
		if err != nil {
			return nil
		}
		info := webui.ProjectInfo{DisplayName: pc.DisplayName, Labels: map[string]string{}}
		for _, m := range pc.Maintainers {
			info.Labels[m.KeyID] = m.Name
		}
		site.Projects[pc.Name] = info
		seen[e.Path] = webui.ConfigMemo{Blob: e.Hash.String(), Project: pc.Name, Info: info}
		return nil
	}, func(gitstore.BadName) error { return nil })
	return seen, err
}

// requests describes the pending requests as `tufgit request list` does.
func requests(g *gitstore.Repo, head gitstore.Hash, now time.Time) ([]webui.Request, error) {
	s, err := repo.OpenAt(g, head, now)
	if err != nil {
		return nil, err
	}
	list, err := s.ListRequests()
	if err != nil {
		return nil, err
	}
	out := []webui.Request{}
	for _, in := range list {
		name := func(ids []string) []string {
			var n []string
			for _, id := range ids {
				n = append(n, repo.LabelName(id, in.Labels[id]))
			}
			return n
		}
		r := webui.Request{ID: in.ID, Kind: in.Kind, Project: in.Project, Author: in.Author, Created: in.Created, Note: in.Note,
			Summary: in.Summary, SignedBy: name(in.SignedBy), Missing: name(in.Missing), Ready: in.Ready, Problems: in.Problems,
			Withdrawn: in.Withdrawn != nil}
		for _, rs := range in.Roles {
			if !rs.Met && rs.Threshold > len(rs.Signed) {
				r.Needed += rs.Threshold - len(rs.Signed)
			}
			r.Roles = append(r.Roles, webui.RequestRole{Role: rs.Role, Version: rs.Version, Threshold: rs.Threshold,
				Signed: name(rs.Signed), Missing: name(rs.Missing), Met: rs.Met})
		}
		if r.Withdrawn {
			continue
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// history walks first parents from head back to since (exclusive), and
// records what each commit did to each project role.
func history(g *gitstore.Repo, head, since gitstore.Hash, labelsOf func(project string) repo.Labels) (*webui.SiteMemo, error) {
	memo := &webui.SiteMemo{Commit: head.String(), Dates: map[string]map[string]time.Time{}, History: map[string][]webui.Event{}}
	c := head
	for i := 0; i < MaxCommits && c != since && c != gitstore.ZeroHash; i++ {
		info, err := g.Commit(c)
		if err != nil {
			return nil, err
		}
		cur, err := g.TreeAt(c)
		if err != nil {
			return nil, err
		}
		parent := g.EmptyTree()
		next := gitstore.ZeroHash
		if len(info.Parents) > 0 {
			next = info.Parents[0]
			if parent, err = g.TreeAt(next); err != nil {
				return nil, err
			}
		}
		changes, err := gitstore.Diff(parent, cur, func(gitstore.BadName) error { return nil })
		if err != nil {
			return nil, err
		}
		when := info.Committed
		events := map[string]*webui.Event{}
		var order []string
		event := func(project string) *webui.Event {
			if ev := events[project]; ev != nil {
				return ev
			}
			ev := &webui.Event{When: when, Commit: c.String(), Author: info.Author, Subject: audit.Subject(info.Message)}
			events[project] = ev
			order = append(order, project)
			return ev
		}
		// Who may sign a project lives in its delegator: the same words
		// signers were shown (keys added, removed, replaced; thresholds).
		var delBefore, delAfter []*metadata.Metadata[metadata.TargetsType]
		var delSigs []metadata.Signature
		for _, ch := range changes {
			le, err := layout.Classify(ch.Path)
			if err != nil || (le.Kind != layout.KindIndexRole && le.Kind != layout.KindTargets) {
				continue
			}
			b, a := readRole(g, ch.Old), readRole(g, ch.New)
			if (b == nil && ch.Old.Hash != gitstore.ZeroHash) || (a == nil && ch.New.Hash != gitstore.ZeroHash) {
				continue // unreadable: no guess about what it delegated
			}
			delBefore = append(delBefore, b)
			if a != nil {
				delAfter = append(delAfter, a)
				delSigs = append(delSigs, a.Signatures...)
			}
		}
		keyChanges := map[string][]string{}
		if len(delBefore) > 0 || len(delAfter) > 0 {
			keyChanges = repo.ProjectKeyChanges(delBefore, delAfter, labelsOf)
		}
		for _, project := range slices.Sorted(maps.Keys(keyChanges)) {
			ev := event(project)
			ev.Changes = append(ev.Changes, keyChanges[project]...)
		}
		for _, ch := range changes {
			if !strings.HasPrefix(ch.Path, layout.ProjectRolesDir+"/") || !strings.HasSuffix(ch.Path, ".json") {
				continue
			}
			project := strings.TrimSuffix(ch.Path[strings.LastIndex(ch.Path, "/")+1:], ".json")
			before := readRole(g, ch.Old)
			after := readRole(g, ch.New)
			items, added := describe(before, after)
			ev := event(project)
			if len(keyChanges[project]) > 0 {
				// The role re-signed by its new keys is part of the key
				// change, not a renewal of its own.
				items = slices.DeleteFunc(items, func(it string) bool {
					return it == "re-signed" || strings.HasPrefix(it, "renewed until ") || it == "project removed"
				})
			}
			ev.Changes = append(ev.Changes, items...)
			if after != nil {
				ev.SignedBy = nil
				for _, s := range after.Signatures {
					ev.SignedBy = append(ev.SignedBy, labelsOf(project).Name(s.KeyID))
				}
			}
			for _, v := range added {
				if memo.Dates[project] == nil {
					memo.Dates[project] = map[string]time.Time{}
				}
				memo.Dates[project][v] = when // older commits come later and win
			}
		}
		for _, project := range order {
			ev := events[project]
			if len(ev.Changes) == 0 {
				continue
			}
			if ev.SignedBy == nil && len(keyChanges[project]) > 0 {
				// Only the delegation changed: the delegator's signers
				// (the admins) signed it.
				for _, s := range delSigs {
					if l := labelsOf(project).Name(s.KeyID); !slices.Contains(ev.SignedBy, l) {
						ev.SignedBy = append(ev.SignedBy, l)
					}
				}
			}
			if len(memo.History[project]) < webui.MaxHistory {
				memo.History[project] = append(memo.History[project], *ev)
			}
		}
		c = next
	}
	return memo, nil
}

func readRole(g *gitstore.Repo, e gitstore.Entry) *metadata.Metadata[metadata.TargetsType] {
	if e.Hash == gitstore.ZeroHash || !e.IsRegular() {
		return nil
	}
	raw, err := g.ReadBlob(e.Hash, layout.MaxTargetsSize, e.Path)
	if err != nil {
		return nil
	}
	m, err := state.ParseTargets(e.Path, raw)
	if err != nil {
		return nil
	}
	return m
}

// describe says what changed in a project role, and which versions are new.
func describe(before, after *metadata.Metadata[metadata.TargetsType]) (items []string, added []string) {
	type rel struct {
		files  []string
		yanked bool
		reason string
	}
	versions := func(m *metadata.Metadata[metadata.TargetsType]) map[string]*rel {
		out := map[string]*rel{}
		if m == nil {
			return out
		}
		for p, tf := range m.Signed.Targets {
			_, v, f, err := layout.ParseTargetPath(p)
			if err != nil {
				continue
			}
			r := out[v]
			if r == nil {
				r = &rel{}
				out[v] = r
			}
			r.files = append(r.files, f+"@"+hex.EncodeToString(tf.Hashes["sha256"]))
			if tf.Custom != nil {
				if c, err := layout.ParseTargetCustom(*tf.Custom); err == nil && c.Yanked {
					r.yanked, r.reason = true, c.YankReason
				}
			}
		}
		return out
	}
	switch {
	case before == nil && after != nil:
		items = append(items, "first signed version of the project role")
	case before != nil && after == nil:
		return []string{"project removed"}, nil
	case before == nil && after == nil:
		return nil, nil
	}
	a, b := versions(before), versions(after)
	vs := make([]string, 0, len(b))
	for v := range b {
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return layout.CompareVersions(vs[i], vs[j]) > 0 })
	for _, v := range vs {
		nr, or := b[v], a[v]
		switch {
		case or == nil:
			added = append(added, v)
			items = append(items, fmt.Sprintf("release %s added (%d file(s))", v, len(nr.files)))
		case nr.yanked && !or.yanked:
			items = append(items, fmt.Sprintf("release %s yanked%s", v, reason(nr.reason)))
		case !nr.yanked && or.yanked:
			items = append(items, fmt.Sprintf("release %s un-yanked", v))
		case !slices.Equal(sorted(nr.files), sorted(or.files)):
			items = append(items, fmt.Sprintf("release %s files changed", v))
		}
	}
	for v := range a {
		if b[v] == nil {
			items = append(items, fmt.Sprintf("release %s removed", v))
		}
	}
	if len(items) == 0 {
		if before.Signed.Expires != after.Signed.Expires {
			items = append(items, "renewed until "+after.Signed.Expires.UTC().Format("2006-01-02"))
		} else {
			items = append(items, "re-signed")
		}
	}
	return items, added
}

func reason(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}
