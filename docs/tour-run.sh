#!/usr/bin/env bash
# `make tour`: runs docs/tour.sh, the README's tour, as it is, in an empty
# temporary directory with the tufgit given ($1) first on PATH, a temporary
# HOME, and a free port on 127.0.0.1 for the mirror. Needs no network.
# TestTourIsREADME (cmd/tufgit) checks that the README shows this tour.
set -euo pipefail
bin=$(cd "$(dirname "$1")" && pwd)
tour=$(cd "$(dirname "$0")" && pwd)/tour.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/tufgit-tour.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
export PATH="$bin:$PATH" HOME="$work" XDG_DATA_HOME="$work/.local/share" GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Tour Admin" GIT_AUTHOR_EMAIL=admin@example.org GIT_COMMITTER_NAME="Tour Admin" GIT_COMMITTER_EMAIL=admin@example.org
unset TUFGIT_PASSPHRASE_FILE
# A free port: ask the kernel for one, then hand it to the tour.
export ADDR="127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))"
set -x
source "$tour"
