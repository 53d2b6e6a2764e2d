package repotest

import (
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/tufgit/tufgit/pkg/layout"
)

// family is a group of real-world project names sharing a long prefix, as
// on PyPI (the long shared prefixes are what make a one-character prefix
// index deep). perMillion is roughly how many names the family has among a
// million projects.
type family struct {
	prefix     string
	perMillion int
}

// families are modelled on PyPI's biggest name families (counts scaled
// from its ~600k projects to 1M; rounded). They matter for the index: a
// family of more than max_projects names that share a 24-character prefix
// makes a one-character-per-level index 24 levels deep.
var families = []family{
	{"django-", 9000},
	{"flask-", 2500},
	{"pytest-", 2400},
	{"types-", 1700},
	{"mypy-boto3-", 700},
	{"sphinxcontrib-", 500},
	{"azure-mgmt-", 400},
	{"azure-", 1200},
	{"google-cloud-", 700},
	{"tencentcloud-sdk-python-", 600},
	{"aws-cdk-aws-", 1800},
	{"aws-cdk-", 1200},
	{"cdktf-cdktf-provider-", 500},
	{"apache-airflow-providers-", 300},
	{"odoo14-addon-", 2500},
	{"odoo12-addon-", 2000},
	{"odoo-addon-", 3000},
	{"jupyterlab-", 900},
	{"pulumi-", 600},
	{"opentelemetry-instrumentation-", 300},
	{"collective-", 1500},
	{"plone-app-", 300},
	{"ckanext-", 800},
	{"pyobjc-framework-", 300},
	{"py", 40000},
	{"python-", 6000},
}

// syllables build word-like tokens: names average about 14 characters,
// like PyPI's normalized names (tufgit's Names averages about 8).
var syllables = []string{
	"ba", "co", "da", "el", "fi", "go", "ha", "in", "jo", "ka", "lu", "mi", "no", "or", "pa", "qu",
	"ra", "si", "to", "ur", "ve", "wa", "xi", "yo", "za", "ter", "ion", "ent", "log", "net", "sql",
	"api", "web", "data", "kit", "lib", "tool", "ml", "ai", "io", "cli", "db", "auth", "cache", "sync",
}

func word(rng *rand.Rand) string {
	var b strings.Builder
	for n := 1 + rng.IntN(3); n > 0; n-- {
		b.WriteString(syllables[rng.IntN(len(syllables))])
	}
	if rng.IntN(6) == 0 {
		b.WriteByte(byte('0' + rng.IntN(10)))
	}
	return b.String()
}

// RealisticNames makes n unique, normalized project names with PyPI's
// shape: about a fifth in long shared-prefix families (django-,
// tencentcloud-sdk-python-, odoo14-addon-, types-, …), the rest one to
// three word-like tokens joined by hyphens. Deterministic for a seed;
// sorted. Use it where the index's depth or the names' length matters.
func RealisticNames(n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 0x7265616c6e616d65))
	total := 0
	for _, f := range families {
		total += f.perMillion
	}
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for len(out) < n {
		var s string
		if pick := rng.IntN(1_000_000); pick < total {
			for _, f := range families {
				if pick < f.perMillion {
					s = f.prefix + word(rng)
					if rng.IntN(3) == 0 {
						s += "-" + word(rng)
					}
					break
				}
				pick -= f.perMillion
			}
		} else {
			s = word(rng)
			for k := rng.IntN(3); k > 0; k-- {
				s += "-" + word(rng)
			}
		}
		if seen[s] || !layout.IsNormalizedProjectName(s) {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
