package layout_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
)

// The reference: CheckJSON and CheckExactKeys as they were before the
// single-pass scanner (two walks with encoding/json's token API). The
// scanner must give the same verdict and the same message on every input.

func refCheckJSON(data []byte) error {
	if !utf8.Valid(data) {
		return errors.New("malformed JSON: not valid UTF-8")
	}
	if !json.Valid(data) {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("malformed JSON: %w", err)
		}
		return errors.New("malformed JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := refCheckValue(dec, 0); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("malformed JSON: data after the top-level value")
	}
	return nil
}

func refCheckValue(dec *json.Decoder, depth int) error {
	if depth > layout.MaxJSONDepth {
		return fmt.Errorf("malformed JSON: nested deeper than %d levels", layout.MaxJSONDepth)
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
				return fmt.Errorf("malformed JSON: duplicate key %q", refPrintable(k))
			}
			seen[k] = true
			if err := refCheckValue(dec, depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		for dec.More() {
			if err := refCheckValue(dec, depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	}
	if err != nil {
		return fmt.Errorf("malformed JSON: %w", err)
	}
	return nil
}

func refPrintable(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// refExactKeys is the old walk; it reports the first offending key. Field
// names are tried in sorted order, as the scanner does (the old code took
// map order, which only mattered for two fields that fold alike).
func refExactKeys(data []byte, t reflect.Type, unknown bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return refWalk(dec, t, unknown, "")
}

func refWalk(dec *json.Decoder, t reflect.Type, unknown bool, at string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("malformed JSON: %w", err)
	}
	switch tok {
	case json.Delim('{'):
		var fields map[string]reflect.Type
		if t != nil && t.Kind() == reflect.Struct && t != reflect.TypeOf(json.RawMessage{}) && !layout.IsOpaqueForTest(t) {
			fields = layout.JSONFieldsForTest(t)
		}
		for dec.More() {
			kt, _ := dec.Token()
			k := kt.(string)
			var next reflect.Type
			switch {
			case fields != nil:
				ft, ok := fields[k]
				if !ok {
					for _, name := range layout.SortedKeysForTest(fields) {
						if strings.EqualFold(name, k) {
							return fmt.Errorf("key %q%s differs only in case from field %q", refPrintable(k), refWhere(at+"."+k), name)
						}
					}
					if !unknown {
						return fmt.Errorf("unknown key %q%s", refPrintable(k), refWhere(at+"."+k))
					}
				}
				next = ft
			case t != nil && t.Kind() == reflect.Map && !layout.IsOpaqueForTest(t):
				next = t.Elem()
			}
			if err := refWalk(dec, next, unknown, at+"."+k); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t != reflect.TypeOf(json.RawMessage{}) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := refWalk(dec, elem, unknown, at+"[]"); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	}
	if err != nil {
		return fmt.Errorf("malformed JSON: %w", err)
	}
	return nil
}

func refWhere(at string) string {
	if at == "" {
		return ""
	}
	return " at " + strings.TrimPrefix(at, ".")
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

var strictTypes = []reflect.Type{
	nil,
	reflect.TypeOf(metadata.Metadata[metadata.TargetsType]{}),
	reflect.TypeOf(metadata.Metadata[metadata.RootType]{}),
	reflect.TypeOf(layout.Config{}),
	reflect.TypeOf(layout.ProjectConfig{}),
}

func checkSameAsReference(t *testing.T, data []byte) {
	t.Helper()
	for _, typ := range strictTypes {
		for _, unknown := range []bool{true, false} {
			jsonErr, keyErr := layout.CheckStrict(data, typ, unknown)
			wantJSON := refCheckJSON(data)
			if errText(jsonErr) != errText(wantJSON) {
				t.Fatalf("type %v: CheckStrict JSON verdict %q, reference %q, input %q", typ, errText(jsonErr), errText(wantJSON), data)
			}
			if wantJSON != nil {
				if keyErr != nil {
					t.Fatalf("type %v: key verdict %v alongside a JSON error", typ, keyErr)
				}
				continue
			}
			var wantKey error
			if typ != nil {
				wantKey = refExactKeys(data, typ, unknown)
			}
			if errText(keyErr) != errText(wantKey) {
				t.Fatalf("type %v unknown=%v: CheckStrict key verdict %q, reference %q, input %q", typ, unknown, errText(keyErr), errText(wantKey), data)
			}
		}
	}
}

var strictSeeds = []string{
	`{}`, `[]`, `1`, `"x"`, `null`, ` {"a":1} `, `{"a":1} x`, `{"a":1,"a":2}`, `{"a":1,"\u0061":2}`,
	`{"signed":{"_type":"targets","Version":1},"signatures":[]}`,
	`{"signed":{"_type":"targets","version":1,"version":2},"signatures":[]}`,
	`{"Signed":{},"signed":{},"signed":{}}`,
	`{"signed":{"delegations":{"roles":[{"NAME":"x"}]}},"signatures":[{"KEYID":"a","keyid":"b"}]}`,
	`{"signatures":[{"sig":"\ud83d\ude00","\ud800":1,"\ud800x":2}]}`,
	`{"a":"\"\\\/\b\f\n\r\t","b":[1,2.5e3,-0,true,false,null,{"c":{}}]}`,
	`{"artifacts":{"STORE":"git"}}`, `{"name":"x","maintainers":[{"keyid":"a","Name":"b"}]}`,
	`{"ſigned":1}`, `{"a":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`,
	strings.Repeat("[", 64) + strings.Repeat("]", 64), strings.Repeat("[", 65) + "1" + strings.Repeat("]", 65),
	`{"a":1,}`, `{"a" 1}`, "{\"a\":\"\xff\"}", `{"x":1,"Y":{"x":1,"x":2}}`,
}

func TestCheckStrictMatchesReference(t *testing.T) {
	for _, s := range strictSeeds {
		checkSameAsReference(t, []byte(s))
	}
}

// A positive control for the differential test: the reference does catch
// what the scanner must catch.
func TestCheckStrictRefusals(t *testing.T) {
	targets := reflect.TypeOf(metadata.Metadata[metadata.TargetsType]{})
	for in, want := range map[string]string{
		`{"a":1,"a":2}`:      "duplicate key",
		`{"a":1,"\u0061":2}`: "duplicate key",
		strings.Repeat("[", 66) + strings.Repeat("]", 66): "nested deeper",
		`{"signed":{"Version":1}}`:                        `key "Version" at signed.Version differs only in case from field "version"`,
		`{"Signed":{},"x":{"a":1,"a":1}}`:                 "duplicate key",
	} {
		jsonErr, keyErr := layout.CheckStrict([]byte(in), targets, true)
		err := jsonErr
		if err == nil {
			err = keyErr
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckStrict(%q) = %v; want %q", in, err, want)
		}
	}
	if j, k := layout.CheckStrict([]byte(`{"signed":{"version":1,"x-custom":2},"signatures":[]}`), targets, true); j != nil || k != nil {
		t.Errorf("unknown keys are allowed in metadata: %v %v", j, k)
	}
}

func FuzzCheckStrict(f *testing.F) {
	for _, s := range strictSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSameAsReference(t, data)
	})
}
