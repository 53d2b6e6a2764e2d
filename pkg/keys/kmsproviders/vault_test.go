package kmsproviders_test

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature/kms"

	"github.com/tufgit/tufgit/pkg/keys"
	_ "github.com/tufgit/tufgit/pkg/keys/kmsproviders"
)

// needTool finds a test helper: in PATH, or where .ci/run caches the
// helpers it builds. Missing, the test skips, or fails under CI.
func needTool(t *testing.T, name, install string) string {
	t.Helper()
	home, _ := os.UserHomeDir()
	if p := filepath.Join(home, ".cache", "tufgit", "bin", name); fileExists(p) {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing under CI; .ci/run installs it", name)
	}
	t.Skipf("SKIPPED: %s not found (%s)", name, install)
	return ""
}

// The bug tufgit fixes: sigstore's Vault signer opened with SHA-256
// has Vault sign SHA-256(message) with an ed25519 key, which no TUF client
// accepts. Against Vault's real transit engine, Check catches that signer,
// and the one Load opens passes.
func TestVaultEd25519SignsTheMessage(t *testing.T) {
	bin := needTool(t, "vaulttransit", "make test-helpers")
	addrFile := filepath.Join(t.TempDir(), "addr")
	cmd := exec.Command(bin, "-token", "t0ken", "-addr", "127.0.0.1:0", "-addr-file", addrFile)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var addr []byte
	for i := 0; i < 1500 && len(addr) == 0; i++ {
		addr, _ = os.ReadFile(addrFile)
		time.Sleep(20 * time.Millisecond)
	}
	if len(addr) == 0 {
		t.Fatal("vaulttransit did not start")
	}
	t.Setenv("VAULT_ADDR", "http://"+string(addr))
	t.Setenv("VAULT_TOKEN", "t0ken")
	body, _ := json.Marshal(map[string]string{"type": "ed25519"})
	req, _ := http.NewRequest("POST", "http://"+string(addr)+"/v1/transit/keys/ed", bytes.NewReader(body))
	req.Header.Set("X-Vault-Token", "t0ken")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("create key: %v %v", err, resp)
	}
	resp.Body.Close()

	ctx := context.Background()
	k, err := keys.Load(ctx, "hashivault://ed", nil)
	if err != nil {
		t.Fatal(err)
	}
	if k.Public.Scheme != "ed25519" {
		t.Fatalf("scheme %s", k.Public.Scheme)
	}
	if err := k.Check(); err != nil {
		t.Fatalf("the Vault ed25519 key as tufgit opens it: %v", err)
	}
	sha, err := kms.Get(ctx, "hashivault://ed", crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	broken := *k
	broken.Signer = sha
	if err := broken.Check(); !errors.Is(err, keys.ErrBadSignature) {
		t.Fatalf("the Vault ed25519 key opened with SHA-256 passes the check: %v", err)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
