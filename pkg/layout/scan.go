package layout

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// CheckStrict applies CheckJSON's rules and CheckExactKeys' rules to data
// in one pass over its bytes: the standard library's validator for the
// syntax, then one walk for duplicate keys, nesting depth and keys that
// match a field of t only by case (and, unless unknown, keys that match no
// field). jsonErr is CheckJSON's verdict, keyErr CheckExactKeys'; keyErr is
// only set when jsonErr is nil. t may be nil (no key rules).
func CheckStrict(data []byte, t reflect.Type, unknown bool) (jsonErr, keyErr error) {
	jsonErr, keyErr, _ = CheckStrictPlain(data, t, unknown)
	return jsonErr, keyErr
}

// CheckStrictPlain is CheckStrict that also reports whether data is plain:
// accepted, with no null anywhere and no object key that names no field of
// the struct type it decodes into. Plain data decodes the same into any
// types with those fields, whatever their own UnmarshalJSON does with
// unknown keys and nulls.
func CheckStrictPlain(data []byte, t reflect.Type, unknown bool) (jsonErr, keyErr error, plain bool) {
	if !utf8.Valid(data) {
		return errors.New("malformed JSON: not valid UTF-8"), nil, false
	}
	if !json.Valid(data) {
		// Let the standard decoder describe the syntax error.
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("malformed JSON: %w", err), nil, false
		}
		return errors.New("malformed JSON"), nil, false
	}
	s := scanner{data: data, unknown: unknown}
	s.value(t, 0, nil)
	if s.jsonErr != nil {
		return s.jsonErr, nil, false
	}
	return nil, s.keyErr, s.keyErr == nil && !s.extra && !s.null
}

// scanner walks JSON that json.Valid accepted. It stops at the first
// CheckJSON problem (duplicate key, too deep); it records the first key
// problem and carries on, because a CheckJSON problem later in the file
// takes precedence (CheckJSON runs before CheckExactKeys).
type scanner struct {
	data    []byte
	i       int
	unknown bool
	jsonErr error
	keyErr  error
	extra   bool // a key that names no field of its struct
	null    bool // a null literal
}

// pathElem is one step of the path to a value, built into a string only
// when a problem is reported.
type pathElem struct {
	parent *pathElem
	key    string
	array  bool
}

func (p *pathElem) String() string {
	if p == nil {
		return ""
	}
	if p.array {
		return p.parent.String() + "[]"
	}
	return p.parent.String() + "." + p.key
}

func (s *scanner) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value scans one value at depth; t is the Go type it decodes into (nil
// when unknown or not a struct, map or slice).
func (s *scanner) value(t reflect.Type, depth int, at *pathElem) {
	if depth > MaxJSONDepth {
		s.jsonErr = fmt.Errorf("malformed JSON: nested deeper than %d levels", MaxJSONDepth)
		return
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	s.ws()
	switch s.data[s.i] {
	case '{':
		s.object(t, depth, at)
	case '[':
		s.i++
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t != rawType {
			elem = t.Elem()
		}
		s.ws()
		if s.data[s.i] == ']' {
			s.i++
			return
		}
		here := &pathElem{parent: at, array: true}
		for {
			s.value(elem, depth+1, here)
			if s.jsonErr != nil {
				return
			}
			s.ws()
			c := s.data[s.i]
			s.i++
			if c == ']' {
				return
			}
		}
	case '"':
		s.skipString()
	default:
		// number, true, false, null: valid syntax, so skip to a delimiter
		if s.data[s.i] == 'n' {
			s.null = true
		}
		for s.i < len(s.data) {
			switch s.data[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			s.i++
		}
	}
}

func (s *scanner) object(t reflect.Type, depth int, at *pathElem) {
	s.i++ // '{'
	var info *structInfo
	var elem reflect.Type
	if t != nil {
		switch {
		case t.Kind() == reflect.Struct && t != rawType && !isOpaque(t):
			info = fieldsOf(t)
		case t.Kind() == reflect.Map && !isOpaque(t):
			elem = t.Elem()
		}
	}
	s.ws()
	if s.data[s.i] == '}' {
		s.i++
		return
	}
	seen := make(map[string]struct{}, 8)
	for {
		s.ws()
		k := s.key()
		if _, dup := seen[k]; dup {
			s.jsonErr = fmt.Errorf("malformed JSON: duplicate key %q", printable(k))
			return
		}
		seen[k] = struct{}{}
		next := elem
		if info != nil {
			ft, ok := info.types[k]
			if !ok && !plainExtra(t, k) {
				s.extra = true
			}
			if !ok && s.keyErr == nil {
				if name, fold := info.fold(k); fold {
					s.keyErr = fmt.Errorf("key %q%s differs only in case from field %q", printable(k), where((&pathElem{parent: at, key: k}).String()), name)
				} else if !s.unknown {
					s.keyErr = fmt.Errorf("unknown key %q%s", printable(k), where((&pathElem{parent: at, key: k}).String()))
				}
			}
			next = ft
		}
		s.ws()
		s.i++ // ':'
		var here *pathElem
		if s.keyErr == nil {
			here = &pathElem{parent: at, key: k}
		}
		s.value(next, depth+1, here)
		if s.jsonErr != nil {
			return
		}
		s.ws()
		c := s.data[s.i]
		s.i++
		if c == '}' {
			return
		}
	}
}

// key reads a string at s.i and returns its decoded value.
func (s *scanner) key() string {
	start := s.i + 1
	end := s.skipString()
	raw := s.data[start:end]
	for _, c := range raw {
		if c == '\\' {
			return unescape(raw)
		}
	}
	return string(raw)
}

// skipString moves past a string starting at s.i and returns the index of
// its closing quote.
func (s *scanner) skipString() int {
	s.i++
	for {
		switch s.data[s.i] {
		case '\\':
			s.i += 2
		case '"':
			end := s.i
			s.i++
			return end
		default:
			s.i++
		}
	}
}

// unescape decodes the body of a valid JSON string the way encoding/json
// does (a lone surrogate becomes U+FFFD).
func unescape(raw []byte) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r1 := hex4(raw[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r1) && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				r2 := hex4(raw[i+3 : i+7])
				if dec := utf16.DecodeRune(r1, r2); dec != utf8.RuneError {
					b.WriteRune(dec)
					i += 6
					continue
				}
			}
			if utf16.IsSurrogate(r1) {
				r1 = utf8.RuneError
			}
			b.WriteRune(r1)
		default: // '"', '\\', '/'
			b.WriteByte(raw[i])
		}
	}
	return b.String()
}

func hex4(h []byte) rune {
	v, _ := strconv.ParseUint(string(h), 16, 32)
	return rune(v)
}

// structInfo is a struct type's JSON keys, computed once per type.
type structInfo struct {
	types map[string]reflect.Type
	names []string // sorted, for a deterministic case-fold report
}

func (si *structInfo) fold(k string) (string, bool) {
	for _, name := range si.names {
		if strings.EqualFold(name, k) {
			return name, true
		}
	}
	return "", false
}

var structInfos sync.Map // reflect.Type -> *structInfo

// plainExtras holds, per struct type, keys that name no field but that a
// fast decoder reads itself (AllowPlainField).
var plainExtras sync.Map // reflect.Type -> map[string]bool

// AllowPlainField lets key, which names no field of struct type t, leave
// data plain: for a decoder that reads that key itself exactly as the
// struct's own UnmarshalJSON would (state's one-pass targets decoder and
// the signed owner label of a key object). Call it from an init function.
func AllowPlainField(t reflect.Type, key string) {
	m := map[string]bool{key: true}
	if v, ok := plainExtras.Load(t); ok {
		for k := range v.(map[string]bool) {
			m[k] = true
		}
	}
	plainExtras.Store(t, m)
}

func plainExtra(t reflect.Type, key string) bool {
	v, ok := plainExtras.Load(t)
	return ok && v.(map[string]bool)[key]
}

func fieldsOf(t reflect.Type) *structInfo {
	if v, ok := structInfos.Load(t); ok {
		return v.(*structInfo)
	}
	si := &structInfo{types: jsonFields(t)}
	for name := range si.types {
		si.names = append(si.names, name)
	}
	slices.Sort(si.names)
	v, _ := structInfos.LoadOrStore(t, si)
	return v.(*structInfo)
}
