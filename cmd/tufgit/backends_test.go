package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/ssh"
)

// Key backends for the end-to-end scripts in testdata/script/backend_*.
// Each backend is a real server or tool started on this machine, on
// 127.0.0.1 or a unix socket in the script's directory:
//
//	local-kms   the AWS KMS API (testdata/localkms wraps it to bind 127.0.0.1)
//	vault       Vault's transit engine (testdata/vaulttransit)
//	softhsm     SoftHSM2 and pkcs11-tool (Debian softhsm2, opensc)
//	ssh-agent   OpenSSH's agent and ssh-keygen/ssh-add
//	tuf-js      an independent TUF client (npm tuf-js@4.1.0)
//	python-tuf  another (Debian trixie's python3-tuf 5.1, testdata/python-tuf)
//
// Scripts guard each with the condition [have:BACKEND]
// (local-kms, vault, softhsm, ssh-agent, tufjs, pytuf). When one is missing a script skips, with a note on how to install it;
// with CI set it fails instead, so that CI never passes by skipping.
var backendCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"start-localkms":   cmdStartLocalKMS,
	"start-vault":      cmdStartVault,
	"start-ssh-agent":  cmdStartSSHAgent,
	"aws-create-key":   cmdAWSCreateKey,
	"vault-create-key": cmdVaultCreateKey,
	"ssh-fingerprint":  cmdSSHFingerprint,
	"tufjs-download":   cmdTufJSDownload,
	"flipsig":          cmdFlipSig,
	"browser":          cmdBrowser,
}

// helperBinDirs are where .ci/run caches the helper binaries it builds.
func helperBinDirs() []string {
	var dirs []string
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".cache", "tufgit", "bin"))
	}
	return dirs
}

// findTool finds a program in the helper cache (first, so that tufgit's
// own helpers win) or in PATH.
func findTool(name string) string {
	for _, d := range helperBinDirs() {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

var backendTools = map[string]struct {
	tools   []string
	install string
}{
	"local-kms": {[]string{"localkms"}, "make test-helpers"},
	"vault":     {[]string{"vaulttransit"}, "make test-helpers; a few minutes cold"},
	"softhsm":   {[]string{"softhsm2-util", "pkcs11-tool"}, "apt-get install softhsm2 opensc"},
	"ssh-agent": {[]string{"ssh-agent", "ssh-add", "ssh-keygen"}, "apt-get install openssh-client"},
	"tufjs":     {[]string{"node"}, "npm install --prefix ~/.cache/tufgit/node tuf-js@4.1.0"},
	"browser":   {[]string{"node", "chromium"}, "apt-get install chromium; npm install --prefix ~/.cache/tufgit/node playwright-core@" + playwrightVersion},
}

// missing returns a note on what is missing for backend, or "".
func missing(backend string) (string, error) {
	b, ok := backendTools[backend]
	if !ok {
		return "", fmt.Errorf("unknown backend %q", backend)
	}
	for _, t := range b.tools {
		if findTool(t) == "" {
			return t + " not found (" + b.install + ")", nil
		}
	}
	switch backend {
	case "softhsm":
		if softHSMModule() == "" {
			return "libsofthsm2.so not found (" + b.install + ")", nil
		}
		if !cgoEnabled {
			return "this test binary was built without cgo, which PKCS#11 needs", nil
		}
	case "browser":
		if playwrightDir() == "" {
			return "playwright-core not installed (" + b.install + ")", nil
		}
	case "tufjs":
		if tufjsDir() == "" {
			return "tuf-js not installed (" + b.install + ")", nil
		}
	case "pytuf":
		if pytufSite() == "" {
			return "python-tuf not installed (" + b.install + ")", nil
		}
	}
	return "", nil
}

// backendCondition is the script condition have:BACKEND: true when the
// backend is installed. When it is not and CI is set, it is an error, so
// that CI never passes by skipping.
func backendCondition(cond string) (bool, error) {
	b, ok := strings.CutPrefix(cond, "have:")
	if !ok {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	why, err := missing(b)
	if err != nil {
		return false, err
	}
	if why == "" {
		return true, nil
	}
	if os.Getenv("CI") != "" {
		return false, fmt.Errorf("backend %s is missing under CI: %s; .ci/run installs it", b, why)
	}
	fmt.Fprintf(os.Stderr, "SKIPPED: backend %s: %s\n", b, why)
	return false, nil
}

func softHSMModule() string {
	for _, p := range []string{"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func tufjsDir() string {
	home, _ := os.UserHomeDir()
	for _, d := range []string{os.Getenv("TUFGIT_TUFJS_DIR"), filepath.Join(home, ".cache", "tufgit", "node")} {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "node_modules", "tuf-js", "package.json")); err == nil {
			if _, err := exec.LookPath("node"); err == nil {
				return d
			}
		}
	}
	return ""
}

// startHelper runs a helper that writes its address to a file once it
// listens, waits for it, and stops it when the script ends.
func startHelper(ts *testscript.TestScript, name string, args ...string) string {
	bin := findTool(name)
	if bin == "" {
		ts.Fatalf("%s not found; guard the script with [have:...]", name)
	}
	addrFile := ts.MkAbs(name + ".addr")
	cmd := exec.Command(bin, append(args, "-addr", "127.0.0.1:0", "-addr-file", addrFile)...)
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	ts.Check(cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	ts.Defer(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(addrFile); err == nil && len(data) > 0 {
			addr := string(data)
			if host, _, _ := net.SplitHostPort(addr); host != "127.0.0.1" {
				ts.Fatalf("%s listens on %s, not 127.0.0.1", name, addr)
			}
			return addr
		}
		select {
		case err := <-done:
			ts.Fatalf("%s exited: %v\n%s", name, err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	ts.Fatalf("%s did not start in 30s\n%s", name, stderr.String())
	return ""
}

// start-localkms: local-kms on 127.0.0.1, with the environment sigstore's
// AWS signer needs: AWS_ENDPOINT_URL_KMS (plain HTTP, which awskms:///alias/NAME
// with no host in the URI allows), a region and dummy credentials.
func cmdStartLocalKMS(ts *testscript.TestScript, neg bool, args []string) {
	dir := ts.MkAbs("localkms-data")
	ts.Check(os.MkdirAll(dir, 0o700))
	addr := startHelper(ts, "localkms", "-data", dir, "-region", "eu-west-2")
	ts.Setenv("AWS_ENDPOINT_URL_KMS", "http://"+addr)
	ts.Setenv("AWS_REGION", "eu-west-2")
	ts.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	ts.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	ts.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ts.Setenv("AWS_CONFIG_FILE", ts.MkAbs("no-aws-config"))
	ts.Setenv("AWS_SHARED_CREDENTIALS_FILE", ts.MkAbs("no-aws-credentials"))
}

// start-vault: Vault's transit engine on 127.0.0.1, with VAULT_ADDR and
// VAULT_TOKEN set as sigstore's hashivault signer reads them.
func cmdStartVault(ts *testscript.TestScript, neg bool, args []string) {
	token := "tufgit-test-token"
	addr := startHelper(ts, "vaulttransit", "-token", token)
	ts.Setenv("VAULT_ADDR", "http://"+addr)
	ts.Setenv("VAULT_TOKEN", token)
}

// start-ssh-agent: OpenSSH's agent on a socket in the script's directory.
func cmdStartSSHAgent(ts *testscript.TestScript, neg bool, args []string) {
	// Unix socket paths are limited to about 100 bytes; $WORK can be long.
	dir, err := os.MkdirTemp("", "tufgit-agent")
	ts.Check(err)
	sock := filepath.Join(dir, "agent.sock")
	cmd := exec.Command(findTool("ssh-agent"), "-D", "-a", sock)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	ts.Check(cmd.Start())
	ts.Defer(func() {
		cmd.Process.Kill()
		cmd.Wait()
		os.RemoveAll(dir)
	})
	for i := 0; i < 500; i++ {
		if _, err := os.Stat(sock); err == nil {
			ts.Setenv("SSH_AUTH_SOCK", sock)
			ts.Setenv("SSH_AUTH_SOCK_SAVED", sock)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	ts.Fatalf("ssh-agent did not create %s", sock)
}

// awsCall makes one AWS KMS JSON API call to local-kms.
func awsCall(ts *testscript.TestScript, target string, in any) map[string]any {
	body, _ := json.Marshal(in)
	req, err := http.NewRequest("POST", ts.Getenv("AWS_ENDPOINT_URL_KMS")+"/", bytes.NewReader(body))
	ts.Check(err)
	req.Header.Set("X-Amz-Target", "TrentService."+target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		ts.Fatalf("local-kms %s: %s: %s", target, resp.Status, data)
	}
	var out map[string]any
	if len(bytes.TrimSpace(data)) > 0 {
		ts.Check(json.Unmarshal(data, &out))
	}
	return out
}

// aws-create-key ALIAS SPEC: a new signing key made inside local-kms
// (SPEC as AWS names it: ECC_NIST_P256, RSA_2048, ...), under alias/ALIAS.
func cmdAWSCreateKey(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: aws-create-key ALIAS SPEC")
	}
	out := awsCall(ts, "CreateKey", map[string]any{"KeySpec": args[1], "KeyUsage": "SIGN_VERIFY"})
	md, _ := out["KeyMetadata"].(map[string]any)
	id, _ := md["KeyId"].(string)
	if id == "" {
		ts.Fatalf("local-kms CreateKey: no KeyId in %v", out)
	}
	awsCall(ts, "CreateAlias", map[string]any{"AliasName": "alias/" + args[0], "TargetKeyId": id})
}

// vault-create-key NAME TYPE: a new transit key made inside Vault
// (ecdsa-p256, ed25519, rsa-2048, ...).
func cmdVaultCreateKey(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: vault-create-key NAME TYPE")
	}
	body, _ := json.Marshal(map[string]any{"type": args[1]})
	req, err := http.NewRequest("POST", ts.Getenv("VAULT_ADDR")+"/v1/transit/keys/"+args[0], bytes.NewReader(body))
	ts.Check(err)
	req.Header.Set("X-Vault-Token", ts.Getenv("VAULT_TOKEN"))
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		data, _ := io.ReadAll(resp.Body)
		ts.Fatalf("vault create key %s: %s: %s", args[0], resp.Status, data)
	}
}

// ssh-fingerprint VAR FILE: set VAR to the SHA256 fingerprint of an
// OpenSSH public key, as `ssh-add -l` prints it.
func cmdSSHFingerprint(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: ssh-fingerprint VAR FILE")
	}
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	ts.Check(err)
	ts.Setenv(args[0], ssh.FingerprintSHA256(pub))
}

// interopURLs are the metadata and targets base URLs (no trailing slash)
// of a *-download command's first argument: a mirror's URL, or a file of
// `tufgit shard --json` output naming one shard's URLs.
func interopURLs(ts *testscript.TestScript, arg string) (metadataURL, targetsURL string) {
	if !strings.HasSuffix(arg, ".json") {
		return arg + "/metadata", arg + "/targets"
	}
	raw, err := os.ReadFile(ts.MkAbs(arg))
	ts.Check(err)
	var info struct {
		MetadataURL string `json:"metadata_url"`
		TargetsURL  string `json:"targets_url"`
	}
	ts.Check(json.Unmarshal(raw, &info))
	if info.MetadataURL == "" || info.TargetsURL == "" {
		ts.Fatalf("%s names no metadata_url and targets_url", arg)
	}
	return info.MetadataURL, info.TargetsURL
}

// clientDirs makes an independent client's metadata and target
// directories for a *-download command (args: MIRROR ROOT TARGET WANT
// [STATE-DIR]). With STATE-DIR, a returning client: its metadata stays
// there between runs, and ROOT is only its first trust.
func clientDirs(ts *testscript.TestScript, args []string, prefix string) (md, td string) {
	var err error
	if len(args) == 5 {
		md = ts.MkAbs(args[4])
		ts.Check(os.MkdirAll(md, 0o755))
	} else {
		md, err = os.MkdirTemp(ts.MkAbs("."), prefix+"-md")
		ts.Check(err)
	}
	td, err = os.MkdirTemp(ts.MkAbs("."), prefix+"-t")
	ts.Check(err)
	if _, err := os.Stat(filepath.Join(md, "root.json")); err != nil {
		root, err := os.ReadFile(ts.MkAbs(args[1]))
		ts.Check(err)
		ts.Check(os.WriteFile(filepath.Join(md, "root.json"), root, 0o644))
	}
	return md, td
}

// tufjs-download MIRROR ROOT TARGET WANT [STATE-DIR]: tuf-js downloads
// TARGET from the mirror at URL MIRROR (or the shard a `tufgit shard --json`
// file names) trusting ROOT (or, with STATE-DIR, the metadata a previous
// run left there), and the bytes must equal file WANT. Negated, the
// download must fail.
func cmdTufJSDownload(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 && len(args) != 5 {
		ts.Fatalf("usage: tufjs-download MIRROR-URL ROOT TARGET WANT [STATE-DIR]")
	}
	dir := tufjsDir()
	if dir == "" {
		ts.Fatalf("tuf-js not installed; guard the script with [have:tufjs]")
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "testdata", "interop", "tufjs-download.cjs"))
	ts.Check(err)
	md, td := clientDirs(ts, args, "tufjs")
	metaURL, targetsURL := interopURLs(ts, args[0])
	cmd := exec.Command("node", script, metaURL, targetsURL, md, td, args[2])
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
	out, err := cmd.CombinedOutput()
	ts.Logf("tuf-js: %s", out)
	if neg {
		if err == nil {
			ts.Fatalf("tuf-js accepted %s", args[2])
		}
		return
	}
	if err != nil {
		ts.Fatalf("tuf-js could not download %s: %v", args[2], err)
	}
	got, err := os.ReadFile(strings.TrimSpace(lastLine(string(out))))
	ts.Check(err)
	want, err := os.ReadFile(ts.MkAbs(args[3]))
	ts.Check(err)
	if !bytes.Equal(got, want) {
		ts.Fatalf("tuf-js downloaded other bytes for %s", args[2])
	}
}

func lastLine(s string) string {
	var last string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			last = sc.Text()
		}
	}
	return last
}

// flipsig FILE: flip one bit of every signature in a metadata file, as a
// broken signer or an attacker would leave it. The file keeps its length,
// so that only the signature check can catch it.
func cmdFlipSig(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: flipsig FILE")
	}
	p := ts.MkAbs(args[0])
	data, err := os.ReadFile(p)
	ts.Check(err)
	var m struct {
		Signatures []struct {
			Sig string `json:"sig"`
		} `json:"signatures"`
	}
	ts.Check(json.Unmarshal(data, &m))
	if len(m.Signatures) == 0 {
		ts.Fatalf("flipsig: %s has no signatures", args[0])
	}
	for _, sig := range m.Signatures {
		raw, err := hex.DecodeString(sig.Sig)
		ts.Check(err)
		raw[len(raw)/2] ^= 0x01
		data = bytes.ReplaceAll(data, []byte(`"`+sig.Sig+`"`), []byte(`"`+hex.EncodeToString(raw)+`"`))
	}
	ts.Check(os.WriteFile(p, data, 0o644))
}
