#!/usr/bin/env python3
"""The peer of `tufgit verify` for benchmarks: python-tuf checks every role
of a tufgit tree with verify_delegate.

Usage: bench_verify.py METADATA_DIR

METADATA_DIR is the tree's metadata/ directory, exported from git. Starting
at root, it verifies targets against root, then walks every delegation
breadth first, loading each delegated role's file with Metadata.from_file
and checking it with the delegator's verify_delegate (python-tuf parses and
checks signatures; it checks no layout rules and hashes no artifacts).
Role files are found by name under targets.json, index/ and projects/.

Prints one line: roles=N and the CPU seconds this process used. Exits 1 if
any role fails, so a benchmark can not compare against a broken run.
"""
import os
import resource
import sys
from collections import deque

from tuf.api.metadata import Metadata, Root, Targets


def main() -> int:
    top = sys.argv[1]
    files = {"targets": os.path.join(top, "targets.json")}
    for sub in ("index", "projects"):
        for dirpath, _, names in os.walk(os.path.join(top, sub)):
            for n in names:
                if n.endswith(".json"):
                    files[n[: -len(".json")]] = os.path.join(dirpath, n)

    root = Metadata[Root].from_file(os.path.join(top, "root.json"))
    root.verify_delegate("root", root)
    targets = Metadata[Targets].from_file(files["targets"])
    root.verify_delegate("targets", targets)
    checked = 2
    queue = deque([targets])
    seen = {"targets"}
    while queue:
        delegator = queue.popleft()
        dels = delegator.signed.delegations
        if dels is None or dels.roles is None:
            continue
        for name in dels.roles:
            if name in seen:
                continue
            seen.add(name)
            md = Metadata[Targets].from_file(files[name])
            delegator.verify_delegate(name, md)
            checked += 1
            if md.signed.delegations is not None:
                queue.append(md)  # only delegators are kept
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(f"roles={checked} cpu={ru.ru_utime + ru.ru_stime:.3f} maxrss_kb={ru.ru_maxrss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
