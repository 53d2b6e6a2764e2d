// Command localkms serves local-kms (github.com/nsmithuk/local-kms), a real
// implementation of the AWS KMS API, on a loopback address only, for
// tufgit's awskms:// tests.
//
// local-kms's own binary always listens on every interface (":"+PORT), so
// this helper, in its own module to keep local-kms's dependencies out of
// tufgit's, serves local-kms's request handler on the address given.
//
//	localkms -addr 127.0.0.1:0 -data DIR -addr-file PATH
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	kms "github.com/nsmithuk/local-kms/src"
	"github.com/nsmithuk/local-kms/src/config"
	"github.com/nsmithuk/local-kms/src/data"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address; the host must be a loopback address")
	dataDir := flag.String("data", "", "directory for local-kms's database (required)")
	addrFile := flag.String("addr-file", "", "write the listening address (host:port) to this file once ready")
	region := flag.String("region", "eu-west-2", "the AWS region local-kms reports")
	flag.Parse()
	if *dataDir == "" {
		log.Fatal("localkms: -data is required")
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatalf("localkms: -addr %q: %v", *addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		log.Fatalf("localkms: -addr %q: only a loopback IP address is allowed", *addr)
	}
	config.AWSAccountId = "111122223333"
	config.AWSRegion = *region
	config.DatabasePath, _ = filepath.Abs(*dataDir)
	db := data.NewDatabase(config.DatabasePath)
	defer db.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("localkms: %v", err)
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { kms.HandleRequest(w, r, db) }),
		ReadHeaderTimeout: 10 * time.Second,
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile+".tmp", []byte(ln.Addr().String()), 0o644); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(*addrFile+".tmp", *addrFile); err != nil {
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
