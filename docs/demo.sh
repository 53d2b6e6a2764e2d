#!/usr/bin/env bash
# The tufgit story, end to end, in a temporary directory. `make demo` runs
# it with the freshly built binary; nothing needs configuring. Set
# KEEP=1 to keep the directory afterwards.
set -euo pipefail
TUFGIT=${1:-tufgit}
TUFGIT=$(cd "$(dirname "$TUFGIT")" && pwd)/$(basename "$TUFGIT")

work=$(mktemp -d "${TMPDIR:-/tmp}/tufgit-demo.XXXXXX")
if [[ "${KEEP:-}" == 1 ]]; then
  trap 'echo; echo "demo files kept in $work"' EXIT
else
  trap 'rm -rf "$work"' EXIT
fi
cd "$work"

# Demo identities and a demo passphrase. Real users type the passphrase
# on a terminal; scripts may set TUFGIT_PASSPHRASE.
export TUFGIT_PASSPHRASE="demo passphrase"
export GIT_AUTHOR_NAME="Ada Admin" GIT_AUTHOR_EMAIL="ada@example.org"
export GIT_COMMITTER_NAME="Ada Admin" GIT_COMMITTER_EMAIL="ada@example.org"
export GIT_CONFIG_NOSYSTEM=1 HOME="$work"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }
fails() { printf '$ %s\n' "$*"; if "$@"; then echo "demo: expected that to fail" >&2; exit 1; else echo "(exit $? — refused, as it should be)"; fi; }

step "1. Keys: two admins (offline root and targets), the online key, three developers"
mkdir keys
for k in admin1 admin2 online alice bob carol; do
  printf '%-7s ' "$k"; "$TUFGIT" key generate --out "keys/$k" 2>/dev/null
done

step "2. init: root and targets need both admins (2 of 2); the online key will sign snapshot and timestamp"
show "$TUFGIT" init repo --name "Demo packages" \
  --root-key keys/admin1.key --root-key keys/admin2.key --root-threshold 2 \
  --targets-key keys/admin1.key --targets-key keys/admin2.key --targets-threshold 2 \
  --online-key keys/online.pub
echo
show git -C repo log --oneline
show ls repo repo/metadata

step "3. verify reads git objects only and checks every signature and delegation"
show "$TUFGIT" verify --repo repo

step "4. An attacker with write access to git edits signed metadata..."
cd repo
sed -i 's/"version": 1/"version": 7/' metadata/index/idx_h.json
git commit -q -am "innocent-looking change"
show git show --stat --oneline HEAD
fails "$TUFGIT" verify
echo
echo "...and the incremental check (what CI and the pre-receive hook run) catches it too:"
fails "$TUFGIT" verify --since HEAD~1
git reset -q --hard HEAD~1
cd ..

step "5. The admins create project hello: maintainers alice and bob, both must sign (2 of 2)"
cd repo
export GIT_AUTHOR_NAME="Ada Admin" GIT_AUTHOR_EMAIL="ada@example.org"
show "$TUFGIT" project create hello --maintainer ../keys/alice.pub --maintainer ../keys/bob.pub --threshold 2 --key ../keys/admin1.key
echo "(one admin signed; the targets threshold is 2, so it waits for admin2)"
id=$("$TUFGIT" request list --json | sed -n 's/.*"id": "\(.*\)".*/\1/p' | head -1)
show "$TUFGIT" sign "$id" --key ../keys/admin2.key --yes

step "6. alice adds release 1.0.0: it waits for bob's signature"
mkdir -p ../dist
printf 'hello, world\n' > ../dist/hello-1.0.0.tar.gz
export GIT_AUTHOR_NAME="Alice" GIT_AUTHOR_EMAIL="alice@example.org"
show "$TUFGIT" release add hello 1.0.0 ../dist/hello-1.0.0.tar.gz --key ../keys/alice.key
show "$TUFGIT" request list
id=$("$TUFGIT" request list --json | sed -n 's/.*"id": "\(.*\)".*/\1/p' | head -1)

step "7. bob reads what the request does (derived from the metadata, never from alice's words) and signs"
export GIT_AUTHOR_NAME="Bob" GIT_AUTHOR_EMAIL="bob@example.org"
show "$TUFGIT" sign "$id" --key ../keys/bob.key --yes
show "$TUFGIT" project show hello
show git log --oneline

step "8. carol is no maintainer: her signature is refused, and she is told who may sign"
"$TUFGIT" release add hello 1.0.1 ../dist/hello-1.0.0.tar.gz --key ../keys/carol.key 2>&1 | sed 's/^/  /' || true

step "9. A published release is immutable"
printf 'something else\n' > ../dist/other.tar.gz
cp ../dist/other.tar.gz ../dist/hello-1.0.0.tar.gz
"$TUFGIT" release add hello 1.0.0 ../dist/hello-1.0.0.tar.gz --key ../keys/alice.key 2>&1 | sed 's/^/  /' || true

step "10. Yank 1.0.0 (alice asks, bob co-signs)"
show "$TUFGIT" release yank hello 1.0.0 --reason "demo: superseded" --key ../keys/alice.key
id=$("$TUFGIT" request list --json | sed -n 's/.*"id": "\(.*\)".*/\1/p' | head -1)
"$TUFGIT" sign "$id" --key ../keys/bob.key --yes >/dev/null
show "$TUFGIT" project show hello
show "$TUFGIT" verify
cd ..

step "11. The server: a bare repository whose pre-receive hook verifies every push, publishing on main"
git init -q --bare -b main server.git
"$TUFGIT" hook install server.git --publish-to "$work/mirror" --online-key "$work/keys/online.key"
cd repo
git remote add origin ../server.git
show git push origin main 2>&1 | sed 's/^/  /'

step "12. A push with a forged signature is rejected; the server keeps what it had"
sed -i 's/"version": 2/"version": 3/' metadata/projects/2c/hello.json
git commit -q -am "forge a change to hello"
if git push origin main 2>&1 | sed 's/^/  /'; then :; fi
git reset -q --hard origin/main
echo "server main is still $(git -C ../server.git rev-parse --short main)"

step "13. The mirror: consistent snapshots, timestamp last, readable by any TUF client"
(cd ../mirror && find . -type f | sort | sed 's/^/  /' | grep -v 'idx_[0-9a-gi-z]\.json')
echo "  (and 35 more empty index roles)"
echo "Publishing again from the server, with nothing new, writes nothing:"
show "$TUFGIT" publish --repo ../server.git --online-key ../keys/online.key --mirror ../mirror
cd ..

step "Done"
echo "Every commit verified before its branch moved; the server verified every push; only publishing used the online key."
echo "Next (later work): the downloader (tufgit releases / download) and the web UI."
