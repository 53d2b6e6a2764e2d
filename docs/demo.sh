#!/usr/bin/env bash
# The tufgit story, end to end, in a temporary directory. `make demo` runs
# it with the freshly built binary; nothing needs configuring. KEEP=1 keeps
# the directory afterwards.
set -euo pipefail
TUFGIT=${1:-tufgit}
TUFGIT=$(cd "$(dirname "$TUFGIT")" && pwd)/$(basename "$TUFGIT")

work=$(mktemp -d "${TMPDIR:-/tmp}/tufgit-demo.XXXXXX")
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill -INT "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  if [[ "${KEEP:-}" == 1 ]]; then echo; echo "demo files kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
cd "$work"

# Demo identities and a demo passphrase. Real users type the passphrase on a
# terminal; scripts may set TUFGIT_PASSPHRASE (or TUFGIT_PASSPHRASE_FILE).
export TUFGIT_PASSPHRASE="demo passphrase"
export GIT_CONFIG_NOSYSTEM=1 HOME="$work" XDG_DATA_HOME="$work/client-data"
as() { export GIT_AUTHOR_NAME="$1" GIT_AUTHOR_EMAIL="$2@example.org" GIT_COMMITTER_NAME="$1" GIT_COMMITTER_EMAIL="$2@example.org"; }
as "Ada Admin" ada

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }
refused() { printf '$ %s\n' "$*"; if "$@" 2>&1 | sed 's/^/  /'; [ "${PIPESTATUS[0]}" -eq 0 ]; then echo "demo: expected that to be refused" >&2; exit 1; else echo "  (refused, as it should be)"; fi; }
request_id() { "$TUFGIT" request list --json | sed -n 's/.*"id": "\(.*\)".*/\1/p' | sed -n 1p; }

step "1. Keys: two admins (offline root and targets), the online key, three developers"
mkdir keys
for k in admin1 admin2 online alice bob carol; do
  printf '%-7s ' "$k"; "$TUFGIT" key generate --out "keys/$k" 2>/dev/null
done

step "2. init: root and targets need both admins (2 of 2); the online key signs only snapshot and timestamp"
show "$TUFGIT" init repo --name "Demo packages" \
  --root-key keys/admin1.key --root-key keys/admin2.key --root-threshold 2 \
  --targets-key keys/admin1.key --targets-key keys/admin2.key --targets-threshold 2 \
  --online-key keys/online.pub
cd repo
show "$TUFGIT" verify

step "3. The admins create project hello: maintainers alice and bob, both must sign"
show "$TUFGIT" project create hello --maintainer ../keys/alice.pub --maintainer ../keys/bob.pub --threshold 2 --key ../keys/admin1.key
echo "(the targets threshold is 2, so admin2 co-signs)"
"$TUFGIT" sign "$(request_id)" --key ../keys/admin2.key --yes | tail -1

step "4. alice adds release 1.0.0: it waits for bob"
mkdir -p ../dist && printf 'hello, world\n' > ../dist/hello-1.0.0.tar.gz
as Alice alice
show "$TUFGIT" release add hello 1.0.0 ../dist/hello-1.0.0.tar.gz --key ../keys/alice.key
show "$TUFGIT" request list

step "5. bob reads what it does (derived from the metadata, never from alice's words) and signs: applied"
as Bob bob
show "$TUFGIT" sign "$(request_id)" --key ../keys/bob.key --yes
show git log --oneline
echo "carol is no maintainer, and a published release never changes:"
refused "$TUFGIT" release add hello 1.0.1 ../dist/hello-1.0.0.tar.gz --key ../keys/carol.key
printf 'other bytes\n' > ../dist/other && cp ../dist/other ../dist/hello-1.0.0.tar.gz
refused "$TUFGIT" release add hello 1.0.0 ../dist/hello-1.0.0.tar.gz --key ../keys/alice.key
printf 'hello, world\n' > ../dist/hello-1.0.0.tar.gz

step "6. Push to a bare repository whose pre-receive hook verifies every push (and publishes main)"
cd ..
git init -q --bare -b main server.git
(umask 077 && printf '%s\n' "$TUFGIT_PASSPHRASE" > keys/online.pass)   # the hook's passphrase file, 0600
show "$TUFGIT" hook install server.git --publish-to "$work/mirror" --online-key keys/online.key --passphrase-file keys/online.pass
cd repo
git remote add origin ../server.git
show git push origin main 2>&1 | sed 's/^/  /'

step "7. A push with a forged signature is rejected; the server keeps what it had"
sed -i 's/"version": 1/"version": 2/' metadata/projects/2c/hello.json
git commit -q -am "an innocent-looking change"
git push origin main 2>&1 | sed 's/^/  /' || true
git reset -q --hard origin/main
echo "server main is still $(git -C ../server.git rev-parse --short main)"

step "8. The published mirror (post-receive ran tufgit publish): consistent snapshots, timestamp last"
(cd ../mirror && find . -type f | sort | grep -v 'idx_[0-9a-gi-z]\.json' | sed 's/^/  /')
echo "  (and 35 more empty index roles)"
cd ..

step "9. Serve the mirror"
"$TUFGIT" serve mirror --addr 127.0.0.1:0 2> serve.log &
serve_pid=$!
for _ in $(seq 1 50); do grep -q serving serve.log 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^serving .* on \(http:[^ ]*\)\/$/\1/p' serve.log)
echo "serving on $url"

step "10. A downloader pins the root it got through a trusted channel, lists releases and downloads"
show "$TUFGIT" client init --mirror "$url" --root repo/metadata/root_history/1.root.json
show "$TUFGIT" releases hello
show "$TUFGIT" download hello 1.0.0 -o downloads
show cat downloads/hello-1.0.0.tar.gz

step "11. Yank 1.0.0 (alice asks, bob co-signs), push, and the downloader sees it yanked"
cd repo
as Alice alice
"$TUFGIT" release yank hello 1.0.0 --reason "demo: superseded" --key ../keys/alice.key | sed -n 1p
as Bob bob
"$TUFGIT" sign "$(request_id)" --key ../keys/bob.key --yes | tail -1
git push -q origin main 2>&1 | grep -E 'ok|published' | sed 's/^/  /'
cd ..
show "$TUFGIT" releases hello
refused "$TUFGIT" download hello -o latest

step "12. Someone tampers with the artifact on the mirror: a fresh downloader refuses it"
for f in mirror/targets/hello/1.0.0/*; do printf 'hello, w0rld\n' > "$f"; done
show "$TUFGIT" client init --mirror "$url" --root repo/metadata/root_history/1.root.json --client-dir fresh
refused "$TUFGIT" download hello 1.0.0 --client-dir fresh -o tampered
ls tampered 2>/dev/null | grep . && { echo "demo: a refused download left files" >&2; exit 1; } || echo "  (nothing was written to tampered/)"

step "13. The web UI: one static page per metadata file, published with the mirror"
(cd mirror/ui && ls | sed -n 1,8p | sed 's/^/  /'; echo "  … ($(ls | wc -l) files)")
echo "It is served with the mirror: $url/ui/index.html"
if [[ "${KEEP:-}" != 1 ]]; then echo "(run KEEP=1 make demo to keep it, then open $work/mirror/ui/index.html)"; fi

step "Done"
echo "Every commit verified before its branch moved, the server verified every push, only publishing"
echo "used the online key, and the downloader accepted only what the project's maintainers signed."
