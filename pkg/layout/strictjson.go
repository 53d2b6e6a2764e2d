package layout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// MaxJSONDepth bounds nesting so a hostile file can not exhaust the stack.
const MaxJSONDepth = 64

// CheckJSON rejects JSON that different parsers could read differently:
// invalid UTF-8 or syntax, duplicate object keys, nesting deeper than
// MaxJSONDepth, or data after the first value. Metadata with duplicate keys
// is a classic way to show a signer one thing and a client another.
func CheckJSON(data []byte) error {
	jsonErr, _ := CheckStrict(data, nil, true)
	return jsonErr
}

// DecodeStrict parses one of tufgit's own files: CheckJSON's rules, and
// no key that the format does not define exactly (encoding/json alone
// would take "AUTHOR" for "author").
func DecodeStrict(data []byte, v any) error {
	jsonErr, keyErr := CheckStrict(data, reflect.TypeOf(v), false)
	if jsonErr != nil {
		return jsonErr
	}
	if keyErr != nil {
		return fmt.Errorf("does not match the format: %w", keyErr)
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
