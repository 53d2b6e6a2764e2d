package layout

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// CheckExactKeys walks data (already checked by CheckJSON) alongside the Go
// type t and refuses an object key that encoding/json would match to a
// struct field only case-insensitively ("AUTHOR" for "author", or "ſtore"
// for "store", since Go folds Unicode case). Such a key means one thing to
// Go and another to a case-sensitive reader, so it is refused everywhere:
// in tufgit's own files and in TUF metadata. When unknown is false, keys
// that name no field at all are refused too.
func CheckExactKeys(data []byte, t reflect.Type, unknown bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return walkKeys(dec, t, unknown, "")
}

var (
	rawType       = reflect.TypeOf(json.RawMessage{})
	unmarshalerT  = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
	textUnmarshal = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

func walkKeys(dec *json.Decoder, t reflect.Type, unknown bool, at string) error {
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
		if t != nil && t.Kind() == reflect.Struct && t != rawType && !isOpaque(t) {
			fields = jsonFields(t)
		}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return fmt.Errorf("malformed JSON: %w", err)
			}
			k := kt.(string)
			var next reflect.Type
			switch {
			case fields != nil:
				ft, ok := fields[k]
				if !ok {
					for name := range fields {
						if strings.EqualFold(name, k) {
							return fmt.Errorf("key %q%s differs only in case from field %q", printable(k), where(at), name)
						}
					}
					if !unknown {
						return fmt.Errorf("unknown key %q%s", printable(k), where(at))
					}
				}
				next = ft
			case t != nil && t.Kind() == reflect.Map && !isOpaque(t):
				next = t.Elem()
			}
			if err := walkKeys(dec, next, unknown, at+"."+k); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t != rawType {
			elem = t.Elem()
		}
		for dec.More() {
			if err := walkKeys(dec, elem, unknown, at+"[]"); err != nil {
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

func where(at string) string {
	if at == "" {
		return ""
	}
	return " at " + strings.TrimPrefix(at, ".")
}

// isOpaque reports types whose JSON form is not their Go fields: raw
// messages, and types that decode themselves from text.
func isOpaque(t reflect.Type) bool {
	if t == rawType {
		return true
	}
	p := reflect.PointerTo(t)
	if p.Implements(textUnmarshal) {
		return true
	}
	// A struct with its own UnmarshalJSON (go-tuf's types) still maps its
	// keys to its tagged fields, so it is walked; anything else that
	// decodes itself is opaque.
	return p.Implements(unmarshalerT) && t.Kind() != reflect.Struct
}

// jsonFields maps a struct's JSON keys to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				for k, v := range jsonFields(f.Type) {
					out[k] = v
				}
				continue
			}
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
