package verify

import (
	"bytes"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
)

// checkShardMap checks what targets.json lists against the tree's shard
// layout. A single-shard repository (index.shard_bits 0) has no
// metadata/shards.json and targets lists no target. A sharded one has
// metadata/shards.json holding exactly the shard map tufgit publishes for
// its bits, and targets lists it, alone, as _tufgit/shards.json with its
// length and hashes: the admin-signed copy is what clients trust, so the
// unsigned index.shard_bits may not say anything else.
func (c *checker) checkShardMap(rc roleCheck, m *metadata.Metadata[metadata.TargetsType]) {
	bits := rc.view.ShardBits()
	raw, readErr := rc.view.Source().ReadFile(layout.ShardMapPath, layout.MaxShardMapSize)
	if bits == 0 {
		if readErr == nil {
			c.rep.add(layout.ShardMapPath, "", CodeLayout, "a single-shard repository (index.shard_bits 0) has no shard map")
		}
		if len(m.Signed.Targets) > 0 {
			c.rep.add(rc.path, layout.RoleTargets, CodeDelegation, "lists %d target(s); only project roles may list targets (and targets lists %s only when the repository has shards)", len(m.Signed.Targets), layout.ShardMapTarget)
		}
		return
	}
	for p := range m.Signed.Targets {
		if p != layout.ShardMapTarget {
			c.rep.add(rc.path, layout.RoleTargets, CodeDelegation, "lists target %s; targets lists only %s", p, layout.ShardMapTarget)
		}
	}
	if readErr != nil {
		if state.IsNotExist(readErr) {
			c.rep.add(layout.ShardMapPath, "", CodeMissing, "index.shard_bits is %d, but the shard map is missing", bits)
		} else {
			c.rep.add(layout.ShardMapPath, "", CodeFormat, "%v", readErr)
		}
		return
	}
	want, err := layout.EncodeShardMap(layout.DefaultShardMap(bits))
	if err != nil {
		c.rep.add(layout.ConfigPath, "", CodeConfig, "index.shard_bits %d: %v", bits, err)
		return
	}
	if !bytes.Equal(raw, want) {
		if sm, err := layout.ParseShardMap(raw); err != nil {
			c.rep.add(layout.ShardMapPath, "", CodeFormat, "%v", err)
		} else {
			c.rep.add(layout.ShardMapPath, "", CodeLayout, "is not the shard map tufgit publishes for index.shard_bits %d (it says %d bits, metadata %q, targets %q)", bits, sm.Bits, sm.Metadata, sm.Targets)
		}
		return
	}
	tf, ok := m.Signed.Targets[layout.ShardMapTarget]
	if !ok || tf == nil {
		c.rep.add(rc.path, layout.RoleTargets, CodeMissing, "the repository has %d shards, but targets does not list %s: clients could not find a project's shard", 1<<bits, layout.ShardMapTarget)
		return
	}
	if tf.Length != int64(len(raw)) {
		c.rep.add(rc.path, layout.RoleTargets, CodeArtifact, "lists %s with length %d, but %s is %d bytes", layout.ShardMapTarget, tf.Length, layout.ShardMapPath, len(raw))
		return
	}
	if err := trust.VerifyArtifact(tf, bytes.NewReader(raw)); err != nil {
		c.rep.add(rc.path, layout.RoleTargets, CodeArtifact, "lists %s with hashes that do not match %s: %v", layout.ShardMapTarget, layout.ShardMapPath, err)
	}
}
