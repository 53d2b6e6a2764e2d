package layout

import (
	"reflect"
	"slices"
)

// Seams for the reference implementation in scan_test.go.
func IsOpaqueForTest(t reflect.Type) bool                      { return isOpaque(t) }
func JSONFieldsForTest(t reflect.Type) map[string]reflect.Type { return jsonFields(t) }
func SortedKeysForTest(m map[string]reflect.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
