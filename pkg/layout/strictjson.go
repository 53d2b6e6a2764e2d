package layout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"unicode/utf8"
)

// MaxJSONDepth bounds nesting so a hostile file can not exhaust the stack.
const MaxJSONDepth = 64

// CheckJSON rejects JSON that different parsers could read differently:
// invalid UTF-8 or syntax, duplicate object keys, nesting deeper than
// MaxJSONDepth, or data after the first value. Metadata with duplicate keys
// is a classic way to show a signer one thing and a client another.
func CheckJSON(data []byte) error {
	if !utf8.Valid(data) {
		return errors.New("malformed JSON: not valid UTF-8")
	}
	if !json.Valid(data) {
		// Let the standard decoder describe the syntax error.
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("malformed JSON: %w", err)
		}
		return errors.New("malformed JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := checkValue(dec, 0); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("malformed JSON: data after the top-level value")
	}
	return nil
}

func checkValue(dec *json.Decoder, depth int) error {
	if depth > MaxJSONDepth {
		return fmt.Errorf("malformed JSON: nested deeper than %d levels", MaxJSONDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("malformed JSON: %w", err)
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return fmt.Errorf("malformed JSON: %w", err)
			}
			k, _ := kt.(string)
			if seen[k] {
				return fmt.Errorf("malformed JSON: duplicate key %q", printable(k))
			}
			seen[k] = true
			if err := checkValue(dec, depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
	case json.Delim('['):
		for dec.More() {
			if err := checkValue(dec, depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
	}
	if err != nil {
		return fmt.Errorf("malformed JSON: %w", err)
	}
	return nil
}

// DecodeStrict parses one of tufgit's own files: CheckJSON's rules, and
// no key that the format does not define exactly (encoding/json alone
// would take "AUTHOR" for "author").
func DecodeStrict(data []byte, v any) error {
	if err := CheckJSON(data); err != nil {
		return err
	}
	if err := CheckExactKeys(data, reflect.TypeOf(v), false); err != nil {
		return fmt.Errorf("does not match the format: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("does not match the format: %w", err)
	}
	return nil
}

// EncodeFile renders one of tufgit's own files the way it is stored:
// indented, with a final newline, so that `git log -p` reads well.
func EncodeFile(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
