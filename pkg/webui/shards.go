package webui

import (
	"bytes"
	"time"
)

// ShardIndex is the home page of a sharded repository's web UI
// (docs/sharding.md): each shard is an ordinary TUF repository whose own
// site Build renders into its directory; this page links them and finds a
// project's shard in the browser.
type ShardIndex struct {
	Name      string // the repository's name
	Bits      int    // 2^Bits shards
	Shards    []ShardLink
	Generated time.Time
}

// ShardLink is one shard's site, relative to the index page.
type ShardLink struct {
	Name string // the shard, lowercase hex
	Href string // its site's directory, ending in "/"
}

// BuildShardIndex writes index.html, shards.js, style.css and favicon.svg.
func BuildShardIndex(w Writer, x ShardIndex) error {
	var buf bytes.Buffer
	data := struct {
		ShardIndex
		Generated string
	}{x, x.Generated.UTC().Format(time.RFC3339)}
	if err := tmpl.ExecuteTemplate(&buf, "shards", data); err != nil {
		return err
	}
	if err := w("index.html", buf.Bytes()); err != nil {
		return err
	}
	for _, name := range []string{"shards.js", "style.css", "favicon.svg"} {
		raw, err := templatesFS.ReadFile("templates/" + name)
		if err != nil {
			return err
		}
		if err := w(name, raw); err != nil {
			return err
		}
	}
	return nil
}
