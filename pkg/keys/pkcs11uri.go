package keys

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// PKCS11Scheme starts an RFC 7512 PKCS#11 URI, for example
// pkcs11:token=tufgit;object=online?module-path=/usr/lib/softhsm/libsofthsm2.so
const PKCS11Scheme = "pkcs11:"

// PINPromptPrefix starts the prompt Load passes to a Passphrase function
// when it needs a PKCS#11 token's PIN rather than a key file's passphrase.
const PINPromptPrefix = "PIN for PKCS#11 token "

// IsPINPrompt reports whether a prompt asks for a token PIN.
func IsPINPrompt(prompt string) bool { return strings.HasPrefix(prompt, PINPromptPrefix) }

// PKCS11URI is the part of an RFC 7512 URI tufgit uses to find a key.
type PKCS11URI struct {
	Token      string // token label
	Serial     string // token serial number
	Object     string // the key's label (CKA_LABEL)
	ID         []byte // the key's CKA_ID
	ModulePath string // the PKCS#11 module (shared library) to load
}

// ParsePKCS11URI parses an RFC 7512 URI. It needs a token (token= or
// serial=), a key (object= or id=) and a module-path query attribute.
// Attributes it does not know are refused rather than ignored, so a typo does not select another key; pin-value is refused
// so that PINs stay out of shell history and configuration.
func ParsePKCS11URI(ref string) (*PKCS11URI, error) {
	if !strings.HasPrefix(ref, PKCS11Scheme) {
		return nil, fmt.Errorf("not a pkcs11: URI")
	}
	rest := strings.TrimPrefix(ref, PKCS11Scheme)
	path, query, _ := strings.Cut(rest, "?")
	u := &PKCS11URI{}
	seen := map[string]bool{}
	attr := func(part string) (string, string, error) {
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return "", "", fmt.Errorf("%q is not NAME=VALUE", part)
		}
		if seen[k] {
			return "", "", fmt.Errorf("%q is given twice", k)
		}
		seen[k] = true
		dv, err := url.PathUnescape(v)
		if err != nil {
			return "", "", fmt.Errorf("%q: bad percent-encoding", k)
		}
		// Labels and paths are shown in prompts and messages: a control
		// character (a NUL, an escape) could hide what is really chosen.
		// Only id is binary.
		if k != "id" && strings.ContainsFunc(dv, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return "", "", fmt.Errorf("%q: control characters are not allowed", k)
		}
		return k, dv, nil
	}
	if path != "" {
		for _, part := range strings.Split(path, ";") {
			k, v, err := attr(part)
			if err != nil {
				return nil, err
			}
			switch k {
			case "token":
				u.Token = v
			case "serial":
				u.Serial = v
			case "object":
				u.Object = v
			case "id":
				u.ID = []byte(v)
			case "type":
				if v != "private" {
					return nil, fmt.Errorf("type=%q: tufgit signs with a private key (type=private)", v)
				}
			case "manufacturer", "model", "library-manufacturer", "library-description", "library-version":
				// Descriptive; the token label or serial selects the token.
			default:
				return nil, fmt.Errorf("unknown path attribute %q (tufgit knows token, serial, object, id, type)", k)
			}
		}
	}
	if query != "" {
		for _, part := range strings.Split(query, "&") {
			k, v, err := attr(part)
			if err != nil {
				return nil, err
			}
			switch k {
			case "module-path":
				u.ModulePath = v
			case "pin-value", "pin-source":
				return nil, fmt.Errorf("%s: keep the PIN out of the URI; tufgit asks for it, or reads TUFGIT_PKCS11_PIN", k)
			default:
				return nil, fmt.Errorf("unknown query attribute %q (tufgit knows module-path)", k)
			}
		}
	}
	switch {
	case u.ModulePath == "":
		return nil, fmt.Errorf("no module: add ?module-path=/path/to/module.so, for example /usr/lib/softhsm/libsofthsm2.so")
	case !filepath.IsAbs(u.ModulePath):
		return nil, fmt.Errorf("module-path %q must be an absolute path", u.ModulePath)
	case u.Token == "" && u.Serial == "":
		return nil, fmt.Errorf("no token: add token=LABEL (or serial=SERIAL)")
	case u.Object == "" && len(u.ID) == 0:
		return nil, fmt.Errorf("no key: add object=LABEL (or id=%%XX for its CKA_ID)")
	}
	return u, nil
}

// tokenName names the token in prompts and messages.
func (u *PKCS11URI) tokenName() string {
	if u.Token != "" {
		return u.Token
	}
	return "serial " + u.Serial
}
