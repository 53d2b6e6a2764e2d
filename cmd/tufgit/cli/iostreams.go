package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
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

	// passFrom says where the last passphrase came from (set by
	// Passphrase), for the hint of a wrong one.
	passFrom *string
	// hook: running in a git hook (forHook); hookPassFile is the
	// passphrase file of the hook's configuration.
	hook         bool
	hookPassFile string
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

// envPassphrase reads TUFGIT_PASSPHRASE, or the file TUFGIT_PASSPHRASE_FILE
// names; from says which, for messages. In a hook (see forHook) only the
// passphrase file of the hook's configuration counts: never the pusher's
// TUFGIT_PASSPHRASE.
func (s *IOStreams) envPassphrase() (pw []byte, from string, err error) {
	if s.hookPassFile != "" {
		what := "git config tufgit." + configPassphraseFile
		pw, err := readPassphraseFile(s.hookPassFile, what)
		return pw, s.hookPassFile + " (" + what + ")", err
	}
	if v := s.Getenv(EnvPassphrase); v != "" && !s.hook {
		return []byte(v), EnvPassphrase + " in your environment", nil
	}
	p := s.Getenv(EnvPassphraseFile)
	if p == "" {
		return nil, "", nil
	}
	from = p + " (" + EnvPassphraseFile + ")"
	pw, err = readPassphraseFile(p, EnvPassphraseFile)
	return pw, from, err
}

// readPassphraseFile reads the first line of a passphrase file, which must
// not be readable by group or others; what names the setting that named it.
func readPassphraseFile(p, what string) ([]byte, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if fi.Mode().Perm()&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, withHint(fmt.Errorf("%s: %s is readable by others (mode %o)", what, p, fi.Mode().Perm()), "chmod 600 "+p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return []byte(strings.TrimSuffix(line, "\r")), nil
}

// forHook is the view of the world a git hook's publish gets: no terminal,
// and a key file's passphrase only from the hook's own configuration
// (passFile, from git config tufgit.passphraseFile; else
// TUFGIT_PASSPHRASE_FILE in the git server's environment), never from
// TUFGIT_PASSPHRASE, which on a local push is the pusher's.
func (s *IOStreams) forHook(passFile string) *IOStreams {
	h := *s
	h.TTY = nil
	h.hook = true
	h.hookPassFile = passFile
	h.passFrom = new(string)
	return &h
}

// EnvPKCS11PIN is the variable a PKCS#11 token's PIN is read from when set.
const EnvPKCS11PIN = "TUFGIT_PKCS11_PIN"

// fromTerminal names the terminal as where a passphrase came from.
const fromTerminal = "the terminal"

// Passphrase returns the function keys use to unlock private key files and
// PKCS#11 tokens. A wrong passphrase typed on the terminal is asked again
// (keys.PassphraseTries in all); one from the environment or a file is not.
func (s *IOStreams) Passphrase() keys.Passphrase {
	if s.passFrom == nil {
		s.passFrom = new(string)
	}
	return func(prompt string) ([]byte, error) {
		if keys.IsPINPrompt(prompt) {
			if v := s.Getenv(EnvPKCS11PIN); v != "" {
				return []byte(v), nil
			}
			if s.TTY == nil {
				return nil, fmt.Errorf("%w: set %s or run on a terminal", keys.ErrNoPIN, EnvPKCS11PIN)
			}
		} else {
			if keys.IsRetryPrompt(prompt) && *s.passFrom != fromTerminal {
				return nil, keys.ErrWrongPassphrase // the same answer again would not help
			}
			if v, from, err := s.envPassphrase(); err != nil || v != nil {
				*s.passFrom = from
				return v, err
			}
		}
		if s.TTY == nil {
			if s.hook {
				return nil, fmt.Errorf("%w: no passphrase file configured for the hook", keys.ErrNoPassphrase)
			}
			return nil, fmt.Errorf("%w: set %s or run on a terminal", keys.ErrNoPassphrase, EnvPassphrase)
		}
		if !keys.IsPINPrompt(prompt) {
			*s.passFrom = fromTerminal
		}
		if keys.IsRetryPrompt(prompt) {
			fmt.Fprintln(s.TTY, "wrong passphrase, try again.")
			prompt = strings.TrimPrefix(prompt, keys.RetryPromptPrefix)
		}
		return s.readPassword(prompt)
	}
}

func (s *IOStreams) readPassword(prompt string) ([]byte, error) {
	fmt.Fprintf(s.TTY, "%s: ", prompt)
	pw, err := term.ReadPassword(int(s.TTY.Fd()))
	fmt.Fprintln(s.TTY)
	return pw, err
}

// NewPassphrase asks for a new passphrase twice (or reads the variable or
// file). On the terminal an empty passphrase, or a repetition that differs,
// is asked again, keys.PassphraseTries times in all.
func (s *IOStreams) NewPassphrase(what string) ([]byte, error) {
	if v, from, err := s.envPassphrase(); err != nil || v != nil {
		if err == nil && len(v) == 0 {
			return nil, withHint(fmt.Errorf("%w: %s holds an empty passphrase", keys.ErrEmptyPassphrase, from),
				"put the passphrase on the file's first line, or unset "+EnvPassphraseFile+" to be asked on the terminal")
		}
		return v, err
	}
	if s.TTY == nil {
		return nil, fmt.Errorf("%w: set %s or run on a terminal", keys.ErrNoPassphrase, EnvPassphrase)
	}
	var last error
	for try := 0; try < keys.PassphraseTries; try++ {
		a, err := s.readPassword("new passphrase for " + what)
		if err != nil {
			return nil, err
		}
		if len(a) == 0 {
			last = withHint(fmt.Errorf("%w: it would leave the key unprotected", keys.ErrEmptyPassphrase), "type a passphrase when asked; nothing was written")
			fmt.Fprintln(s.TTY, "an empty passphrase would leave the key unprotected; type one.")
			continue
		}
		b, err := s.readPassword("repeat it")
		if err != nil {
			return nil, err
		}
		if string(a) == string(b) {
			return a, nil
		}
		last = withHint(errors.New("the passphrases differ"), "run the command again and type the same passphrase twice; nothing was written")
		fmt.Fprintln(s.TTY, "the passphrases differ; try again.")
	}
	return nil, last
}

// explain adds to a wrong passphrase's error where the passphrase came
// from, so the hint names what to check.
func (s *IOStreams) explain(err error) error {
	if err == nil || !errors.Is(err, keys.ErrWrongPassphrase) || s.passFrom == nil || *s.passFrom == "" {
		return err
	}
	if ee := (*exitError)(nil); errors.As(err, &ee) && ee.hint != "" {
		return err
	}
	return withHint(err, wrongPassphraseHint(*s.passFrom))
}

// wrongPassphraseHint names where a wrong passphrase came from.
func wrongPassphraseHint(from string) string {
	switch {
	case from == fromTerminal:
		return fmt.Sprintf("%d tries on the terminal did not unlock the key: check that it is the key you mean (`tufgit key show KEY.pub` shows its keyid)", keys.PassphraseTries)
	case strings.HasPrefix(from, EnvPassphrase+" "):
		return "the passphrase came from " + from + ": check it, or unset " + EnvPassphrase + " to be asked on the terminal"
	}
	return "the passphrase came from the first line of " + from + ": check that file"
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
