package layout

import (
	"encoding"
	"encoding/json"
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
	jsonErr, keyErr := CheckStrict(data, t, unknown)
	if jsonErr != nil {
		return jsonErr
	}
	return keyErr
}

var (
	rawType       = reflect.TypeOf(json.RawMessage{})
	unmarshalerT  = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
	textUnmarshal = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

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
