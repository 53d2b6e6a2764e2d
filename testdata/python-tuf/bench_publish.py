#!/usr/bin/env python3
"""The peer of an incremental `tufgit publish` for benchmarks: python-tuf
writes the same files for a push that changed one project role.

Usage: bench_publish.py PREV_METADATA_DIR NEW_ROLE_FILE ARTIFACT OUT_DIR

PREV_METADATA_DIR holds the mirror's metadata before the push
(timestamp.json and the snapshot it names). NEW_ROLE_FILE is the changed
role as the push left it (ROLE.json), ARTIFACT the release's file. Into
OUT_DIR it writes what tufgit's incremental publish writes: the artifact
once per hash (HASH.NAME, hashed here), the role under its consistent-
snapshot name, a snapshot listing every role with the changed role's new
version (version bumped, expiry renewed, signed), and a timestamp naming
it (signed). The online key is the benchmark fixture's deterministic
ed25519 key (sha256 of "tufgit-repotest-online" as the seed).

Prints one line with the files written and the CPU seconds this process
used.
"""
import hashlib
import os
import resource
import sys
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, MetaFile, Snapshot, Targets, Timestamp
from tuf.api.serialization.json import JSONSerializer


def main() -> int:
    prev, role_file, artifact, out = sys.argv[1:5]
    os.makedirs(out, exist_ok=True)
    seed = hashlib.sha256(b"tufgit-repotest-online").digest()
    signer = CryptoSigner(Ed25519PrivateKey.from_private_bytes(seed))
    ser = JSONSerializer(compact=False)
    written = 0

    # The artifact, once per hash.
    with open(artifact, "rb") as f:
        data = f.read()
    name = os.path.basename(artifact)
    for alg in ("sha256", "sha512"):
        h = hashlib.new(alg, data).hexdigest()
        with open(os.path.join(out, f"{h}.{name}"), "wb") as f:
            f.write(data)
        written += 1

    # The changed role under its versioned name.
    role = Metadata[Targets].from_file(role_file)
    rname = os.path.basename(role_file)[: -len(".json")]
    with open(role_file, "rb") as f:
        raw = f.read()
    with open(os.path.join(out, f"{role.signed.version}.{rname}.json"), "wb") as f:
        f.write(raw)
    written += 1

    # Snapshot: the previous one with the role's new version.
    ts = Metadata[Timestamp].from_file(os.path.join(prev, "timestamp.json"))
    snap = Metadata[Snapshot].from_file(os.path.join(prev, f"{ts.signed.snapshot_meta.version}.snapshot.json"))
    snap.signed.meta[f"{rname}.json"] = MetaFile(version=role.signed.version)
    snap.signed.version += 1
    snap.signed.expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=7)
    snap.signatures.clear()
    snap.sign(signer)
    snap_bytes = snap.to_bytes(ser)
    with open(os.path.join(out, f"{snap.signed.version}.snapshot.json"), "wb") as f:
        f.write(snap_bytes)
    written += 1

    # Timestamp naming it, with its length and hashes as tufgit lists them.
    sm = ts.signed.snapshot_meta
    sm.version = snap.signed.version
    if sm.length is not None:
        sm.length = len(snap_bytes)
    if sm.hashes:
        sm.hashes = {alg: hashlib.new(alg, snap_bytes).hexdigest() for alg in sm.hashes}
    ts.signed.version += 1
    ts.signed.expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=1)
    ts.signatures.clear()
    ts.sign(signer)
    with open(os.path.join(out, "timestamp.json"), "wb") as f:
        f.write(ts.to_bytes(ser))
    written += 1

    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(f"files={written} roles={len(snap.signed.meta)} cpu={ru.ru_utime + ru.ru_stime:.3f} maxrss_kb={ru.ru_maxrss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
