#!/usr/bin/env bash
# Installs python-tuf 5.1, an independent TUF client for tufgit's interop
# tests and benchmarks, without touching the system's apt setup.
#
# Debian bookworm has no python-tuf; trixie packages it as python3-tuf and
# python3-securesystemslib, both arch all (pure Python). This script fetches
# them with `apt-get download` from a trixie sources list of its own (own
# lists and cache directories) and unpacks them with `dpkg -x` into
#
#   $TUFGIT_PYTHON_DIR (default ~/.cache/tufgit/python)
#
# Idempotent: once python-tuf imports from there, it does nothing.
#
# To use it (tests and benchmarks find it the same way):
#
#   PYTHONPATH=~/.cache/tufgit/python/usr/lib/python3/dist-packages /usr/bin/python3 -c 'import tuf.ngclient'
#
# The interpreter is Debian's /usr/bin/python3 (override with TUFGIT_PYTHON),
# whose dependencies come from bookworm packages: python3-cryptography (38),
# python3-urllib3, python3-requests. cryptography 38 lacks the names PrivateKeyTypes and
# PublicKeyTypes that securesystemslib 1.x imports; a two-line shim
# (sitecustomize.py in the same directory) aliases them to the older
# PRIVATE_KEY_TYPES and PUBLIC_KEY_TYPES when they are missing.
set -euo pipefail

dir="${TUFGIT_PYTHON_DIR:-$HOME/.cache/tufgit/python}"
py="${TUFGIT_PYTHON:-/usr/bin/python3}"
site="$dir/usr/lib/python3/dist-packages"

check() {
  PYTHONPATH="$site" "$py" -c 'import tuf, tuf.ngclient, securesystemslib; assert tuf.__version__.startswith("5."), tuf.__version__' 2>/dev/null
}

if check; then
  exit 0
fi

# Interpreter dependencies, from the system's own (bookworm) archive.
need=()
"$py" -c 'import cryptography' 2>/dev/null || need+=(python3-cryptography)
"$py" -c 'import urllib3' 2>/dev/null || need+=(python3-urllib3)
"$py" -c 'import requests' 2>/dev/null || need+=(python3-requests)
if ((${#need[@]})); then
  apt-get update -q
  apt-get install -y -q "${need[@]}"
fi

apt_dir="$dir/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/debs"
cat >"$apt_dir/sources.list" <<SRC
deb http://deb.debian.org/debian trixie main
SRC
opts=(
  -o Dir::Etc::SourceList="$apt_dir/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o Dir::State::Lists="$apt_dir/lists"
  -o Dir::Cache="$apt_dir"
  -o Dir::Cache::Archives="$apt_dir/archives"
  -o APT::Architecture=amd64
  -o Debug::NoLocking=1
  -o APT::Sandbox::User=root
)
apt-get "${opts[@]}" -q update >/dev/null
(cd "$apt_dir/debs" && apt-get "${opts[@]}" -q download python3-tuf python3-securesystemslib)
for deb in "$apt_dir"/debs/*.deb; do
  dpkg -x "$deb" "$dir"
done

# The shim for cryptography < 40 (see the header).
cat >"$site/sitecustomize.py" <<'PY'
import cryptography.hazmat.primitives.asymmetric.types as _t
if not hasattr(_t, "PrivateKeyTypes"): _t.PrivateKeyTypes, _t.PublicKeyTypes = _t.PRIVATE_KEY_TYPES, _t.PUBLIC_KEY_TYPES
PY

# Bytecode once, here, so that every run does not compile the modules again.
"$py" -m compileall -q "$site" >/dev/null || true

if ! check; then
  echo "python-tuf: unpacked into $dir but \`import tuf.ngclient\` fails with $py:" >&2
  PYTHONPATH="$site" "$py" -c 'import tuf.ngclient' >&2 || true
  exit 1
fi
echo "python-tuf $(PYTHONPATH="$site" "$py" -c 'import tuf; print(tuf.__version__)') ready in $site"
