// Command vaulttransit serves HashiCorp Vault's real transit secrets engine
// (github.com/hashicorp/vault/builtin/logical/transit) in memory under
// /v1/transit/, on 127.0.0.1 only, for tufgit's hashivault:// tests.
//
// It is a test helper in its own module so that tufgit's module does not take
// on Vault's dependencies. Requests must carry the token given with -token
// (as X-Vault-Token), like a real Vault; everything lives in memory and is
// gone when the process exits.
//
//	vaulttransit -addr 127.0.0.1:0 -token TOKEN -addr-file PATH
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/vault/builtin/logical/transit"
	"github.com/hashicorp/vault/sdk/logical"
)

const mount = "/v1/transit/"

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address; the host must be a loopback address")
	token := flag.String("token", "", "the token clients must send as X-Vault-Token (required)")
	addrFile := flag.String("addr-file", "", "write the listening address (host:port) to this file once ready")
	flag.Parse()
	if *token == "" {
		log.Fatal("vaulttransit: -token is required")
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatalf("vaulttransit: -addr %q: %v", *addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		log.Fatalf("vaulttransit: -addr %q: only a loopback IP address is allowed", *addr)
	}

	ctx := context.Background()
	storage := &logical.InmemStorage{}
	backend, err := transit.Factory(ctx, &logical.BackendConfig{
		Logger:      hclog.NewNullLogger(),
		System:      &logical.StaticSystemView{DefaultLeaseTTLVal: time.Hour, MaxLeaseTTLVal: 24 * time.Hour},
		StorageView: storage,
		BackendUUID: "tufgit-test-transit",
	})
	if err != nil {
		log.Fatalf("vaulttransit: starting the transit backend: %v", err)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("vaulttransit: %v", err)
	}
	srv := &http.Server{Handler: &handler{backend: backend, storage: storage, token: *token}, ReadHeaderTimeout: 10 * time.Second}
	if *addrFile != "" {
		tmp := *addrFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(ln.Addr().String()), 0o644); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(tmp, *addrFile); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(ln.Addr().String())

	go func() {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGINT, syscall.SIGTERM)
		<-c
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

type handler struct {
	backend logical.Backend
	storage logical.Storage
	token   string
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Vault-Token") != h.token {
		writeErrors(w, http.StatusForbidden, "permission denied")
		return
	}
	if r.URL.Path == "/v1/sys/health" {
		writeJSON(w, http.StatusOK, map[string]any{"initialized": true, "sealed": false})
		return
	}
	if !strings.HasPrefix(r.URL.Path, mount) {
		writeErrors(w, http.StatusNotFound, "no handler for route "+r.URL.Path+": only transit/ is mounted")
		return
	}
	req := &logical.Request{
		Path:       strings.TrimPrefix(r.URL.Path, mount),
		Storage:    h.storage,
		MountPoint: "transit/",
		Connection: &logical.Connection{RemoteAddr: r.RemoteAddr},
	}
	switch r.Method {
	case http.MethodGet:
		req.Operation = logical.ReadOperation
		if r.URL.Query().Get("list") == "true" {
			req.Operation = logical.ListOperation
		}
	case "LIST":
		req.Operation = logical.ListOperation
	case http.MethodDelete:
		req.Operation = logical.DeleteOperation
	case http.MethodPost, http.MethodPut:
		req.Operation = logical.UpdateOperation
		body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
		if err != nil {
			writeErrors(w, http.StatusBadRequest, err.Error())
			return
		}
		if len(body) > 0 {
			if err := json.Unmarshal(body, &req.Data); err != nil {
				writeErrors(w, http.StatusBadRequest, "request body is not JSON: "+err.Error())
				return
			}
		}
		// Vault's router turns an update of a path that does not exist yet
		// into a create when the path has an existence check.
		checkFound, exists, err := h.backend.HandleExistenceCheck(r.Context(), req)
		if err == nil && checkFound && !exists {
			req.Operation = logical.CreateOperation
		}
	default:
		writeErrors(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}

	resp, err := h.backend.HandleRequest(r.Context(), req)
	if status, rerr := logical.RespondErrorCommon(req, resp, err); rerr != nil {
		if status == 0 {
			status = http.StatusInternalServerError
		}
		writeErrors(w, status, rerr.Error())
		return
	}
	if resp == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"request_id": "",
		"lease_id":   "",
		"renewable":  false,
		"data":       resp.Data,
		"warnings":   resp.Warnings,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErrors(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"errors": []string{msg}})
}
