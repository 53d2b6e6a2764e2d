package main

// TestModel is issue #20's model-checked lifecycle: a seeded, randomised
// sequence of operations on a real repository, driven through the real
// tufgit binary (the test binary as TestMain installs it in PATH, so the
// TUFGIT_TEST_TIME clock seam works) and real git, checked after every step
// against a small model of what must be true (modelrules_test.go holds the
// model, its rules and every refusal it expects, in one place).
//
//	make model SEED=N STEPS=M     one seed
//	make model-ci                 the CI seed set, which must cover every
//	                              operation × key kind pair (see required)
//
// After every step: `tufgit verify` agrees with the model; the change goes
// through `git push` into a bare repository with the pre-receive hook, whose
// post-receive hook publishes; tufgit's client (a returning one, across root
// rotations) agrees on each touched project's releases, yanks, latest and the
// bytes of a sampled release; the web UI page of each touched project agrees.
// Every few steps and at the end tuf-js and python-tuf (when installed;
// under CI they must be) download a sampled release and must refuse a path
// that was never released.

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

var (
	flagModelSeeds = flag.String("model.seeds", "", "TestModel: comma-separated seeds to run (make model SEED=N)")
	flagModelSteps = flag.Int("model.steps", 40, "TestModel: steps per seed")
	flagModelCI    = flag.Bool("model.ci", false, "TestModel: run the CI seed set and fail if it leaves a required operation × key kind pair uncovered")
	flagModelEvery = flag.Int("model.interop-every", 8, "TestModel: run tuf-js and python-tuf every N steps (and at the end)")
)

// modelCISeeds and modelCISteps are the CI seed set: together they cover
// every required pair (TestModel fails otherwise) in a few minutes.
var modelCISeeds = []int64{2, 3, 4, 5, 6, 7}

const modelCISteps = 40

func TestModel(t *testing.T) {
	var seeds []int64
	steps := *flagModelSteps
	switch {
	case *flagModelCI:
		seeds, steps = modelCISeeds, modelCISteps
	case *flagModelSeeds != "":
		for _, s := range strings.Split(*flagModelSeeds, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				t.Fatalf("-model.seeds: %v", err)
			}
			seeds = append(seeds, n)
		}
	default:
		t.Skip("the model-checked lifecycle runs with `make model SEED=N STEPS=M` or `make model-ci`")
	}
	if _, err := exec.LookPath("tufgit"); err != nil {
		t.Fatal("tufgit is not in PATH: TestMain (testscript.Main) puts the test binary there")
	}
	cov := coverage{}
	modelKeyDir = t.TempDir()
	start := time.Now()
	totalSteps := 0
	for _, seed := range seeds {
		seed := seed
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			w := newWorld(t, seed, steps, cov)
			w.run()
			totalSteps += w.stepsRun
		})
	}
	t.Logf("model: %d seeds, %d steps in %s", len(seeds), totalSteps, time.Since(start).Round(time.Second))
	table, missing := cov.table()
	t.Log("coverage (operation × key kind; counts):\n" + table)
	if *flagModelCI && !t.Failed() {
		if len(missing) > 0 {
			t.Errorf("the CI seed set leaves required operation × key kind pairs uncovered: %s\n(add a seed to modelCISeeds, or raise modelCISteps)", strings.Join(missing, ", "))
		}
	}
}

// coverage counts how often each operation ran with each key kind.
type coverage map[string]map[string]int

func (c coverage) add(op, kind string) {
	if c[op] == nil {
		c[op] = map[string]int{}
	}
	c[op][kind]++
}

// covered records that op ran with a key of kind, for the run and for this
// seed's guidance.
func (w *world) covered(op, kind string) {
	w.cov.add(op, kind)
	w.local.add(op, kind)
}

func (c coverage) table() (string, []string) {
	var b strings.Builder
	cols := append(append([]string(nil), allKinds...), "-")
	fmt.Fprintf(&b, "%-26s", "operation")
	for _, k := range cols {
		fmt.Fprintf(&b, " %12s", k)
	}
	b.WriteString("\n")
	var missing []string
	ops := make([]string, 0, len(required))
	for op := range required {
		ops = append(ops, op)
	}
	for op := range c {
		if _, ok := required[op]; !ok {
			ops = append(ops, op)
		}
	}
	sort.Strings(ops)
	for _, op := range ops {
		fmt.Fprintf(&b, "%-26s", op)
		for _, k := range cols {
			n := c[op][k]
			cell := strconv.Itoa(n)
			if requiredPair(op, k) {
				if n == 0 {
					cell = "MISSING"
					missing = append(missing, op+"×"+k)
				}
			} else if n == 0 && notYetCovered[op+"×"+k] {
				cell = "todo"
			} else if n == 0 {
				cell = "."
			}
			fmt.Fprintf(&b, " %12s", cell)
		}
		b.WriteString("\n")
	}
	return b.String(), missing
}

// ---------------------------------------------------------------------------
// The world: the real repository, the server, the mirror, the clients.

type world struct {
	t        *testing.T
	seed     int64
	steps    int
	stepsRun int
	step     int
	rng      *rand.Rand
	cov      coverage
	dir      string // everything lives under it
	work     string // the admins' and maintainers' clone
	server   string // the bare repository with the hooks
	mirror   string // where post-receive publishes
	url      string // the mirror over HTTP
	client   string // tufgit's returning client state
	env      []string
	log      []string // commands of the current step
	m        *model
	touched  map[string]bool
	keys     map[string]*mkey
	used     map[string]int // key files taken from the pool, per kind
	agent    bool
	local    coverage // this seed's coverage, which guides its choices
	curOp    string
	// mirrorStale: root or targets expired, so publish refuses and the
	// mirror keeps the last publish until a renewal.
	mirrorStale bool
}

// The pool of key files the seeds share (see newKey).
var (
	modelKeyDir  string
	modelKeyPool = map[string][]string{}
)

// mkey is one signing key the world holds.
type mkey struct {
	name string
	kind string // one of allKinds
	pub  string // public key file
	ref  string // what --key takes
}

func newWorld(t *testing.T, seed int64, steps int, cov coverage) *world {
	dir := t.TempDir()
	if os.Getenv("TUFGIT_MODEL_KEEP") != "" {
		// Keep the repositories, the mirror and the clients to look at.
		dir, _ = os.MkdirTemp("", fmt.Sprintf("tufgit-model-%d-", seed))
		t.Logf("seed %d: keeping %s", seed, dir)
	}
	w := &world{t: t, seed: seed, steps: steps, rng: rand.New(rand.NewSource(seed)), cov: cov, dir: dir,
		work: filepath.Join(dir, "work"), server: filepath.Join(dir, "server.git"), mirror: filepath.Join(dir, "mirror"),
		client: filepath.Join(dir, "client"), keys: map[string]*mkey{}, used: map[string]int{}, local: coverage{}}
	w.env = append(os.Environ(),
		"HOME="+dir, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+filepath.Join(dir, "gitconfig"),
		"GIT_AUTHOR_NAME=Model Admin", "GIT_AUTHOR_EMAIL=admin@example.org",
		"GIT_COMMITTER_NAME=Model Admin", "GIT_COMMITTER_EMAIL=admin@example.org",
		"TUFGIT_PASSPHRASE=correct horse", "XDG_DATA_HOME="+filepath.Join(dir, "xdg"))
	srv := httptest.NewServer(http.FileServer(http.Dir(w.mirror)))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	return w
}

// fail stops the seed with the seed, the step, the step's commands and a
// one-line reproduction.
func (w *world) fail(format string, args ...any) {
	w.t.Helper()
	msg := fmt.Sprintf(format, args...)
	w.t.Fatalf("MODEL FAILURE seed=%d step=%d: %s\ncommands of this step:\n  %s\nreproduce: make model SEED=%d STEPS=%d",
		w.seed, w.step, msg, strings.Join(w.log, "\n  "), w.seed, w.step)
}

// res is one command's outcome.
type res struct {
	out, err string
	rc       int
}

func (r res) String() string {
	return fmt.Sprintf("rc=%d\nstdout:\n%s\nstderr:\n%s", r.rc, r.out, r.err)
}

func (w *world) exec(dir, name string, args ...string) res {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(w.env, "TUFGIT_TEST_TIME="+w.m.now.UTC().Format(time.RFC3339))
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	t0 := time.Now()
	err := cmd.Run()
	took := time.Since(t0)
	r := res{out: o.String(), err: e.String()}
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			r.rc = ee.ExitCode()
		} else {
			w.fail("%s %s: %v", name, strings.Join(args, " "), err)
		}
	}
	line := name + " " + strings.Join(args, " ")
	w.log = append(w.log, fmt.Sprintf("[%s] %s  -> rc=%d (%s)", filepath.Base(dir), line, r.rc, took.Round(time.Millisecond)))
	if os.Getenv("TUFGIT_MODEL_TRACE") != "" {
		fmt.Fprintf(os.Stderr, "step %d: %s\n", w.step, w.log[len(w.log)-1])
	}
	return r
}

func (w *world) tufgit(args ...string) res { return w.exec(w.work, "tufgit", args...) }

// must runs tufgit and fails the seed unless it exits 0.
func (w *world) must(args ...string) res {
	w.t.Helper()
	r := w.tufgit(args...)
	if r.rc != 0 {
		w.fail("tufgit %s: want success, got %s", strings.Join(args, " "), r)
	}
	return r
}

// newKey makes a key of a kind: a key file (tufgit key generate) or a key
// in ssh-agent (ssh-keygen, ssh-add).
func (w *world) newKey(name, kind string) *mkey {
	k := &mkey{name: name, kind: kind}
	base := filepath.Join(w.dir, "keys", name)
	os.MkdirAll(filepath.Dir(base), 0o700)
	switch kind {
	case kindEd25519, kindECDSA:
		// Key files come from a pool shared by the seeds: generating one
		// (scrypt) takes a second on a loaded machine.
		i := w.used[kind]
		w.used[kind]++
		pool := modelKeyPool[kind]
		for len(pool) <= i {
			typ := "ed25519"
			if kind == kindECDSA {
				typ = "ecdsa-p256"
			}
			out := filepath.Join(modelKeyDir, fmt.Sprintf("%s-%d", typ, len(pool)))
			if r := w.exec(w.dir, "tufgit", "key", "generate", "--out", out, "--type", typ); r.rc != 0 {
				w.fail("key generate: %s", r)
			}
			pool = append(pool, out)
			modelKeyPool[kind] = pool
		}
		k.pub, k.ref = pool[i]+".pub", pool[i]+".key"
	case kindSSH:
		w.startAgent()
		typ := []string{"-t", "ed25519"}
		if w.rng.Intn(2) == 0 {
			typ = []string{"-t", "ecdsa", "-b", "256"}
		}
		if r := w.exec(w.dir, "ssh-keygen", append([]string{"-q", "-N", "", "-C", name, "-f", base}, typ...)...); r.rc != 0 {
			w.fail("ssh-keygen: %s", r)
		}
		if r := w.exec(w.dir, "ssh-add", "-q", base); r.rc != 0 {
			w.fail("ssh-add: %s", r)
		}
		data, err := os.ReadFile(base + ".pub")
		if err != nil {
			w.fail("%v", err)
		}
		pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
		if err != nil {
			w.fail("%v", err)
		}
		k.pub, k.ref = base+".pub", "ssh-agent:"+ssh.FingerprintSHA256(pub)
	default:
		w.fail("unknown key kind %q", kind)
	}
	w.keys[name] = k
	return k
}

func (w *world) startAgent() {
	if w.agent {
		return
	}
	d, err := os.MkdirTemp("", "tufgit-model-agent")
	if err != nil {
		w.fail("%v", err)
	}
	sock := filepath.Join(d, "agent.sock")
	cmd := exec.Command("ssh-agent", "-D", "-a", sock)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		w.fail("ssh-agent: %v", err)
	}
	w.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); os.RemoveAll(d) })
	for i := 0; i < 500; i++ {
		if _, err := os.Stat(sock); err == nil {
			w.env = append(w.env, "SSH_AUTH_SOCK="+sock)
			w.agent = true
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.fail("ssh-agent did not create %s", sock)
}

// ---------------------------------------------------------------------------
// The run: setup, then steps; each step one operation, then every check.

func (w *world) run() {
	w.setup()
	for w.step = 1; w.step <= w.steps; w.step++ {
		w.log = nil
		w.touched = map[string]bool{}
		w.m.stepDone = false
		op := w.pickOp()
		w.curOp = op.name
		w.log = append(w.log, "# op "+op.name)
		op.run(w)
		w.checkAll()
		w.stepsRun++
	}
	w.step = w.steps
	w.log = []string{"# final interop check"}
	w.interop(true)
}

// setup: keys of every kind, init (1 or K shards, thresholds 1..3), the
// bare server with the hook, the clone, the first publish and the client.
func (w *world) setup() {
	w.m = newModel(time.Now().UTC().Truncate(time.Second))
	kinds := append([]string(nil), allKinds...)
	if !sshAvailable() {
		kinds = []string{kindEd25519, kindECDSA}
		if os.Getenv("CI") != "" {
			w.t.Fatal("ssh-agent, ssh-keygen or ssh-add missing under CI")
		}
	}
	// Admins: one of each kind, then one more at random.
	for i, k := range kinds {
		w.m.admins = append(w.m.admins, w.newKey(fmt.Sprintf("admin%d", i+1), k).name)
	}
	w.m.admins = append(w.m.admins, w.newKey(fmt.Sprintf("admin%d", len(kinds)+1), kinds[w.rng.Intn(len(kinds))]).name)
	for i := 0; i < 6; i++ {
		w.m.maintPool = append(w.m.maintPool, w.newKey(fmt.Sprintf("m%d", i+1), kinds[i%len(kinds)]).name)
	}
	for i := 0; i < 2; i++ {
		w.newKey(fmt.Sprintf("online%d", i+1), kindEd25519)
	}
	w.m.online = "online1"
	root := w.pickSubset(w.m.admins, 1+w.rng.Intn(2), 3)
	targets := w.pickSubset(w.m.admins, 1+w.rng.Intn(2), 3)
	w.m.rootKeys, w.m.rootThr = root, 1+w.rng.Intn(len(root))
	w.m.targetsKeys, w.m.targetsThr = targets, 1+w.rng.Intn(len(targets))
	w.m.shards = 1
	if w.rng.Intn(3) == 0 {
		w.m.shards = []int{2, 4}[w.rng.Intn(2)]
	}
	args := []string{"init", w.work + ".seed", "--online-key", w.keys[w.m.online].pub,
		"--root-threshold", strconv.Itoa(w.m.rootThr), "--targets-threshold", strconv.Itoa(w.m.targetsThr), "--shards", strconv.Itoa(w.m.shards)}
	for _, k := range root {
		args = append(args, "--root-key", w.keys[k].ref)
	}
	for _, k := range targets {
		args = append(args, "--targets-key", w.keys[k].ref)
	}
	for _, k := range root {
		w.covered("init", w.keys[k].kind)
	}
	w.log = append(w.log, fmt.Sprintf("# setup: root %v (%d), targets %v (%d), shards %d", root, w.m.rootThr, targets, w.m.targetsThr, w.m.shards))
	if r := w.exec(w.dir, "tufgit", args...); r.rc != 0 {
		w.fail("init: %s", r)
	}
	if r := w.exec(w.dir, "git", "clone", "-q", "--bare", w.work+".seed", w.server); r.rc != 0 {
		w.fail("%s", r)
	}
	if r := w.exec(w.dir, "tufgit", "hook", "install", w.server, "--publish-to", w.mirror, "--online-key", w.keys[w.m.online].ref, "--passphrase-file", w.passphraseFile()); r.rc != 0 {
		w.fail("hook install: %s", r)
	}
	if r := w.exec(w.dir, "git", "clone", "-q", w.server, w.work); r.rc != 0 {
		w.fail("%s", r)
	}
	if r := w.exec(w.dir, "tufgit", "publish", "--repo", w.server); r.rc != 0 {
		w.fail("first publish: %s", r)
	}
	w.m.initRoles()
	if r := w.exec(w.dir, "tufgit", "client", "init", "--mirror", w.url, "--root", filepath.Join(w.work, "metadata", "root_history", "1.root.json"), "--client-dir", w.client); r.rc != 0 {
		w.fail("client init: %s", r)
	}
	w.checkAll()
}

func sshAvailable() bool {
	for _, t := range []string{"ssh-agent", "ssh-keygen", "ssh-add"} {
		if _, err := exec.LookPath(t); err != nil {
			return false
		}
	}
	return true
}

func (w *world) pickSubset(from []string, min, max int) []string {
	p := w.rng.Perm(len(from))
	n := min + w.rng.Intn(max-min+1)
	if n > len(from) {
		n = len(from)
	}
	var out []string
	for _, i := range p[:n] {
		out = append(out, from[i])
	}
	sort.Strings(out)
	return out
}

func (w *world) pick(from []string) string { return from[w.rng.Intn(len(from))] }

// ---------------------------------------------------------------------------
// Checks after every step.

func (w *world) checkAll() {
	w.checkVerify()
	w.push()
	w.checkRequests()
	if w.mirrorStale {
		return // the clients still see the last publish
	}
	w.checkClient()
	w.checkUI()
	if *flagModelEvery > 0 && w.step > 0 && w.step%*flagModelEvery == 0 {
		w.interop(false)
	}
}

// checkVerify: verify agrees with the model: valid (0) or expired (4).
func (w *world) checkVerify() {
	r := w.tufgit("verify")
	want := 0
	if exp := w.m.expired(); len(exp) > 0 {
		want = 4
	}
	if r.rc != want {
		w.fail("verify: want exit %d (expired: %v), got %s", want, w.m.expired(), r)
	}
}

// push sends the work clone's main to the server through the hook, which
// must accept it and publish it.
func (w *world) push() {
	r := w.exec(w.work, "git", "push", "-q", "origin", "main")
	if r.rc != 0 {
		w.fail("git push: the hook refused a change the model holds valid: %s", r)
	}
	if w.m.topExpired() {
		// The hook accepts ("re-sign soon"); publish refuses: clients
		// would refuse an expired root or targets.
		if strings.Contains(r.err, "PUBLISH FAILED") && !strings.Contains(r.err, "expired") {
			w.fail("git push: publish failed, not for the expiry the model expects: %s", r)
		}
		w.mirrorStale = true
		return
	}
	if strings.Contains(r.err, "PUBLISH FAILED") {
		w.fail("git push: published nothing: %s", r)
	}
	if w.mirrorStale {
		// Renewed: the next publish catches up (a push with nothing new
		// publishes nothing, so publish now).
		if r := w.exec(w.dir, "tufgit", "publish", "--repo", w.server); r.rc != 0 {
			w.fail("publish after a renewal: %s", r)
		}
		w.mirrorStale = false
		for _, n := range w.liveProjects() {
			w.touched[n] = true
		}
	}
}

// checkRequests: the pending requests are the model's.
func (w *world) checkRequests() {
	r := w.must("request", "list", "--json")
	var list []struct {
		ID, Kind string
		Ready    bool
	}
	if err := json.Unmarshal([]byte(r.out), &list); err != nil {
		w.fail("request list --json: %v\n%s", err, r.out)
	}
	got := map[string]bool{}
	for _, q := range list {
		if w.m.withdrawn[q.ID] {
			continue
		}
		got[q.ID] = true
		if _, ok := w.m.reqs[q.ID]; !ok {
			w.fail("request list shows %s (%s), which the model does not have pending (model: %v)", q.ID, q.Kind, w.m.reqIDs())
		}
	}
	for id := range w.m.reqs {
		if !got[id] {
			w.fail("request %s is pending in the model but not listed", id)
		}
	}
}

// checkClient: tufgit's returning client agrees on every touched project.
func (w *world) checkClient() {
	names := []string{}
	for n := range w.touched {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w.checkProjectClient(n)
	}
}

type clientRelease struct {
	Version string
	Yanked  bool
	Files   []struct {
		Name   string
		Length int64
		Sha256 string
	}
}

func (w *world) checkProjectClient(name string) {
	p := w.m.projects[name]
	r := w.exec(w.dir, "tufgit", "releases", name, "--json", "--client-dir", w.client)
	want := p.visibleReleases()
	if p == nil || len(want) == 0 {
		// No role (never created, removed, or no release yet): no releases.
		if r.rc == 0 {
			var got struct{ Releases []clientRelease }
			json.Unmarshal([]byte(r.out), &got)
			if len(got.Releases) > 0 {
				w.fail("client lists releases of %s, which the model says has none: %s", name, r.out)
			}
		}
		return
	}
	if r.rc != 0 {
		w.fail("client: releases %s: %s", name, r)
	}
	got := w.parseReleases(r.out)
	var gotVs, wantVs []string
	for _, g := range got {
		gotVs = append(gotVs, fmt.Sprintf("%s%s", g.Version, yankMark(g.Yanked)))
	}
	for _, v := range want {
		wantVs = append(wantVs, fmt.Sprintf("%s%s", v, yankMark(p.releases[v].yanked)))
	}
	if strings.Join(gotVs, " ") != strings.Join(wantVs, " ") {
		w.fail("client: releases of %s (in order): got %v, model %v", name, gotVs, wantVs)
	}
	// latest, and the bytes of the latest (or, when every release is
	// yanked, the refusal to pick one).
	latest := p.latest()
	out := filepath.Join(w.dir, "dl", fmt.Sprintf("%d-%s", w.step, name))
	r = w.exec(w.dir, "tufgit", "download", name, "--json", "-o", out, "--client-dir", w.client)
	if latest == "" {
		if r.rc == 0 {
			w.fail("client: download %s chose a release though every release is yanked: %s", name, r.out)
		}
		return
	}
	if r.rc != 0 {
		w.fail("client: download %s (latest %s): %s", name, latest, r)
	}
	var dl struct{ Version string }
	json.Unmarshal([]byte(r.out), &dl)
	if dl.Version != latest {
		w.fail("client: latest of %s is %q, model says %q", name, dl.Version, latest)
	}
	for f, data := range p.releases[latest].files {
		got, err := os.ReadFile(filepath.Join(out, f))
		if err != nil || !bytes.Equal(got, data) {
			w.fail("client: download %s: %s differs from what was released (%v)", name, f, err)
		}
	}
}

func yankMark(y bool) string {
	if y {
		return "(yanked)"
	}
	return ""
}

func (w *world) parseReleases(out string) []clientRelease {
	var wrap struct{ Releases []clientRelease }
	if err := json.Unmarshal([]byte(out), &wrap); err == nil && wrap.Releases != nil {
		return wrap.Releases
	}
	var list []clientRelease
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		w.fail("releases --json: %v\n%s", err, out)
	}
	return list
}

// checkUI: the published page of each touched project shows its releases,
// marks exactly the yanked ones and the model's latest.
func (w *world) checkUI() {
	w.checkUIRequests()
	for n := range w.touched {
		p := w.m.projects[n]
		if p != nil && p.removed && !avoidBugRemovedProjectPage {
			// A removed project's page says so and offers no download.
			data, err := os.ReadFile(filepath.Join(w.mirror, "ui", w.m.uiDir(n), "project-"+n+".html"))
			if err == nil && (strings.Contains(string(data), "Latest release <strong>") || !strings.Contains(strings.ToLower(string(data)), "removed")) {
				w.fail("web UI: the page of removed project %s still offers its releases", n)
			}
			continue
		}
		vs := p.visibleReleases()
		if len(vs) == 0 {
			continue
		}
		page := filepath.Join(w.mirror, "ui", w.m.uiDir(n), "project-"+n+".html")
		data, err := os.ReadFile(page)
		if err != nil {
			w.fail("web UI: %v", err)
		}
		html := string(data)
		for _, v := range vs {
			head := regexp.MustCompile(`<h3>` + regexp.QuoteMeta(v) + `( [^\n]*)?</h3>`).FindString(html)
			if head == "" {
				w.fail("web UI: %s does not show release %s", page, v)
			}
			if y := strings.Contains(head, `class="bad">yanked`); y != p.releases[v].yanked {
				w.fail("web UI: %s shows release %s yanked=%v, the model says %v: %s", page, v, y, p.releases[v].yanked, head)
			}
			if l := strings.Contains(head, `class="badge">latest`); l != (v == p.latest()) {
				w.fail("web UI: %s: release %s latest badge=%v, the model's latest is %q: %s", page, v, l, p.latest(), head)
			}
		}
		if l := p.latest(); l != "" && !strings.Contains(html, "Latest release <strong>"+l+"</strong>") {
			w.fail("web UI: %s does not say \"Latest release %s\"", page, l)
		}
	}
}

// checkUIRequests: the requests page lists exactly the pending requests
// (single-shard mirrors; a sharded mirror's pages are per shard).
func (w *world) checkUIRequests() {
	if avoidBugRequestsPageStale || w.m.shards > 1 {
		return
	}
	data, err := os.ReadFile(filepath.Join(w.mirror, "ui", "requests.html"))
	if err != nil {
		w.fail("web UI: %v", err)
	}
	html := string(data)
	for id := range w.m.reqs {
		if !strings.Contains(html, id) {
			w.fail("web UI: requests.html does not list pending request %s", id)
		}
	}
	for id := range w.m.gone {
		if strings.Contains(html, "request-"+id+".html") {
			w.fail("web UI: requests.html still lists request %s, which is no longer pending", id)
		}
	}
}

// interop: tuf-js and python-tuf download a sampled release file and
// refuse a path that was never released.
func (w *world) interop(final bool) {
	proj, ver, file, data := w.m.sample(w.rng)
	if proj == "" {
		return
	}
	target := proj + "/" + ver + "/" + file
	bogus := proj + "/" + ver + "/never-released.txt"
	metaURL, targetsURL := w.url+"/metadata", w.url+"/targets"
	if w.m.shards > 1 {
		r := w.exec(w.dir, "tufgit", "shard", proj, "--mirror", w.url, "--root", filepath.Join(w.work, "metadata", "root_history", "1.root.json"), "--json")
		if r.rc != 0 {
			w.fail("tufgit shard %s: %s", proj, r)
		}
		var info struct {
			MetadataURL string `json:"metadata_url"`
			TargetsURL  string `json:"targets_url"`
		}
		json.Unmarshal([]byte(r.out), &info)
		metaURL, targetsURL = info.MetadataURL, info.TargetsURL
	}
	root, err := os.ReadFile(filepath.Join(w.work, "metadata", "root_history", "1.root.json"))
	if err != nil {
		w.fail("%v", err)
	}
	for _, c := range interopClients() {
		if c.missing != "" {
			if os.Getenv("CI") != "" {
				w.fail("%s is not installed under CI: %s", c.name, c.missing)
			}
			continue
		}
		for _, tc := range []struct {
			path string
			want []byte
		}{{target, data}, {bogus, nil}} {
			md, _ := os.MkdirTemp(w.dir, c.name+"-md")
			td, _ := os.MkdirTemp(w.dir, c.name+"-t")
			os.WriteFile(filepath.Join(md, "root.json"), root, 0o644)
			args := append(append([]string(nil), c.args...), metaURL, targetsURL, md, td, tc.path)
			if c.name == "python-tuf" {
				args = append(append([]string(nil), c.args...), metaURL+"/", targetsURL+"/", md, td, tc.path)
			}
			cmd := exec.Command(c.bin, args...)
			cmd.Env = append(w.env, c.env...)
			out, err := cmd.CombinedOutput()
			w.log = append(w.log, fmt.Sprintf("%s %s -> %v", c.name, tc.path, err))
			if tc.want == nil {
				if err == nil {
					w.fail("%s accepted %s, which was never released", c.name, tc.path)
				}
				continue
			}
			if err != nil {
				w.fail("%s could not download %s: %v\n%s", c.name, tc.path, err, out)
			}
			got, err := os.ReadFile(strings.TrimSpace(lastLine(string(out))))
			if err != nil || !bytes.Equal(got, tc.want) {
				w.fail("%s downloaded other bytes for %s (%v)", c.name, tc.path, err)
			}
		}
		w.covered("interop:"+c.name, "-")
	}
}

type interopClient struct {
	name, bin, missing string
	args, env          []string
}

func interopClients() []interopClient {
	wd, _ := os.Getwd()
	var cs []interopClient
	js := interopClient{name: "tuf-js", bin: "node", args: []string{filepath.Join(wd, "..", "..", "testdata", "interop", "tufjs-download.cjs")}}
	if d := tufjsDir(); d == "" {
		js.missing = "tuf-js not installed (npm install --prefix ~/.cache/tufgit/node tuf-js@4.1.0, or TUFGIT_TUFJS_DIR)"
	} else {
		js.env = []string{"NODE_PATH=" + filepath.Join(d, "node_modules")}
	}
	cs = append(cs, js)
	py := interopClient{name: "python-tuf", bin: pytufPython(), args: []string{filepath.Join(wd, "..", "..", "testdata", "python-tuf", "download.py")}}
	if s := pytufSite(); s == "" {
		py.missing = "python-tuf not installed (testdata/python-tuf/install.sh)"
	} else {
		py.env = []string{"PYTHONPATH=" + s, "PYTHONDONTWRITEBYTECODE=1"}
	}
	return append(cs, py)
}

// passphraseFile is the file the hook reads the online key's passphrase
// from (the hook never takes the pusher's TUFGIT_PASSPHRASE), written
// once, readable by its owner only.
func (w *world) passphraseFile() string {
	p := filepath.Join(w.dir, "online.pass")
	if _, err := os.Stat(p); err != nil {
		if err := os.WriteFile(p, []byte("correct horse\n"), 0o600); err != nil {
			w.fail("passphrase file: %v", err)
		}
	}
	return p
}
