package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/publish"
)

// IOStreams is the command's view of the outside world, injected so that
// commands can be tested without a terminal.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// Getenv reads the environment.
	Getenv func(string) string
	// TTY is the controlling terminal for prompts, or nil when there is none.
	TTY *os.File
	// Clock, when set, replaces the system clock for the commands that
	// sign or check against a reference time in the repository (init and
	// changes, verify, the hook, publish, ui build). Only the test binary
	// sets it; nothing in the shipped binary does, and the downloader
	// (client, releases, download) never reads it.
	Clock func() time.Time
	// WrapMirror, when set, wraps the mirror publish writes to. Only the
	// test binary sets it (to simulate a crash halfway).
	WrapMirror func(publish.Mirror) publish.Mirror
}

// SystemIO returns the process's streams, with the system clock.
func SystemIO() *IOStreams {
	s := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Getenv: os.Getenv}
	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil && term.IsTerminal(int(tty.Fd())) {
		s.TTY = tty
	}
	return s
}

// EnvPassphrase is the variable a passphrase is read from when set.
const EnvPassphrase = "TUFGIT_PASSPHRASE"

// EnvPassphraseFile names a file holding the passphrase (first line), for
// servers and cron jobs; it must not be readable by group or others.
const EnvPassphraseFile = "TUFGIT_PASSPHRASE_FILE"

// envPassphrase reads TUFGIT_PASSPHRASE, or the file TUFGIT_PASSPHRASE_FILE names.
func (s *IOStreams) envPassphrase() ([]byte, error) {
	if v := s.Getenv(EnvPassphrase); v != "" {
		return []byte(v), nil
	}
	p := s.Getenv(EnvPassphraseFile)
	if p == "" {
		return nil, nil
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvPassphraseFile, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s: %s is readable by others (mode %o); chmod 600 it", EnvPassphraseFile, p, fi.Mode().Perm())
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return []byte(strings.TrimSuffix(line, "\r")), nil
}

// EnvPKCS11PIN is the variable a PKCS#11 token's PIN is read from when set.
const EnvPKCS11PIN = "TUFGIT_PKCS11_PIN"

// Passphrase returns the function keys use to unlock private key files and
// PKCS#11 tokens.
func (s *IOStreams) Passphrase() keys.Passphrase {
	return func(prompt string) ([]byte, error) {
		if keys.IsPINPrompt(prompt) {
			if v := s.Getenv(EnvPKCS11PIN); v != "" {
				return []byte(v), nil
			}
			if s.TTY == nil {
				return nil, fmt.Errorf("%w: set %s or run on a terminal", keys.ErrNoPIN, EnvPKCS11PIN)
			}
		} else if v, err := s.envPassphrase(); err != nil || v != nil {
			return v, err
		}
		if s.TTY == nil {
			return nil, fmt.Errorf("%w: set %s or run on a terminal", keys.ErrNoPassphrase, EnvPassphrase)
		}
		fmt.Fprintf(s.TTY, "%s: ", prompt)
		pw, err := term.ReadPassword(int(s.TTY.Fd()))
		fmt.Fprintln(s.TTY)
		return pw, err
	}
}

// NewPassphrase asks for a new passphrase twice (or reads the variable).
func (s *IOStreams) NewPassphrase(what string) ([]byte, error) {
	if v, err := s.envPassphrase(); err != nil || v != nil {
		return v, err
	}
	if s.TTY == nil {
		return nil, fmt.Errorf("%w: set %s or run on a terminal", keys.ErrNoPassphrase, EnvPassphrase)
	}
	ask := func(p string) ([]byte, error) {
		fmt.Fprintf(s.TTY, "%s: ", p)
		pw, err := term.ReadPassword(int(s.TTY.Fd()))
		fmt.Fprintln(s.TTY)
		return pw, err
	}
	a, err := ask("new passphrase for " + what)
	if err != nil {
		return nil, err
	}
	b, err := ask("repeat it")
	if err != nil {
		return nil, err
	}
	if string(a) != string(b) {
		return nil, errors.New("the passphrases differ")
	}
	return a, nil
}

// Confirm asks a yes/no question on the terminal; with no terminal it
// answers yes (the caller decides when that is allowed).
func (s *IOStreams) Confirm(question string) (bool, error) {
	if s.TTY == nil {
		return true, nil
	}
	fmt.Fprintf(s.TTY, "%s [y/N] ", question)
	line, err := bufio.NewReader(s.TTY).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	line = strings.ToLower(strings.TrimSpace(line))
	return line == "y" || line == "yes", nil
}

// Now is the current time: the system clock, unless the test binary set
// Clock.
func (s *IOStreams) Now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}
