package state

import "github.com/theupdateframework/go-tuf/v2/metadata"

// FastTargetsFromBytes is the one-pass decoder, for its tests.
func FastTargetsFromBytes(raw []byte) (*metadata.Metadata[metadata.TargetsType], bool) {
	return fastTargetsFromBytes(raw)
}

// ParseTargetsGoTUF is the go-tuf path, for its tests.
var ParseTargetsGoTUF = parseTargetsGoTUF
