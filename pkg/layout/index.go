package layout

import "sort"

// IndexNode is one index role of a planned prefix index: the projects it
// delegates directly and the child index roles (by prefix) it delegates.
type IndexNode struct {
	Prefix   string
	Projects []string
	Children []string
}

// PlanIndex lays out the index subtree under prefix for the given project
// names (all starting with prefix, normalized, unique). A node that would
// delegate more than max projects is split: every name longer than the
// prefix moves into a child index role for its next character, recursively;
// a name equal to the prefix stays. Nodes come top-down, children before
// grandchildren, each list sorted.
func PlanIndex(prefix string, names []string, max int) []IndexNode {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	var out []IndexNode
	var plan func(prefix string, names []string)
	plan = func(prefix string, names []string) {
		node := IndexNode{Prefix: prefix}
		if len(names) <= max {
			node.Projects = names
			out = append(out, node)
			return
		}
		groups := map[byte][]string{}
		for _, n := range names {
			if len(n) == len(prefix) {
				node.Projects = append(node.Projects, n)
				continue
			}
			c := n[len(prefix)]
			groups[c] = append(groups[c], n)
		}
		for i := 0; i < len(IndexAlphabet); i++ {
			if _, ok := groups[IndexAlphabet[i]]; ok {
				node.Children = append(node.Children, prefix+string(IndexAlphabet[i]))
			}
		}
		out = append(out, node)
		for _, child := range node.Children {
			plan(child, groups[child[len(child)-1]])
		}
	}
	plan(prefix, sorted)
	return out
}
