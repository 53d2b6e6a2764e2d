# The tour, in an empty directory (`make tour` runs this file as it is).
# For the tour only, one passphrase for every key: on your machine leave
# TUFGIT_PASSPHRASE unset, and tufgit asks on the terminal.
export TUFGIT_PASSPHRASE='tour passphrase'
ADDR=${ADDR:-127.0.0.1:8080}                       # where the mirror is served

# Keys: the admin's and the online key in ~/.tufgit (made 0700), two maintainers'.
tufgit key generate --out ~/.tufgit/admin          # PATH.key (encrypted, 0600) + PATH.pub
tufgit key generate --out ~/.tufgit/online
tufgit key generate --out alice
tufgit key generate --out bob

# A repository: the admin key signs root and targets; the online key only snapshot and timestamp.
tufgit init packages --root-key ~/.tufgit/admin.key --targets-key ~/.tufgit/admin.key --online-key ~/.tufgit/online.pub
cd packages
tufgit verify                                      # exit 0 valid, 3 problems, 4 expired

# A server: a bare repository whose hook verifies each push and publishes main to ../mirror.
git init -q --bare ../server.git
(umask 077 && echo "$TUFGIT_PASSPHRASE" > ~/.tufgit/online.pass)   # the hook's passphrase file
tufgit hook install ../server.git --publish-to ../mirror --online-key ~/.tufgit/online.key --passphrase-file ~/.tufgit/online.pass
git remote add origin ../server.git

# A project that alice and bob must both sign; alice's release waits for bob.
tufgit project create hello --maintainer ../alice.pub --maintainer ../bob.pub --threshold 2 --key ~/.tufgit/admin.key
echo 'hello, world' > ../hello-1.0.0.tar.gz
tufgit release add hello 1.0.0 ../hello-1.0.0.tar.gz --key ../alice.key
tufgit request list                                # what it does, who is missing
tufgit sign "$(tufgit request list --ids)" --key ../bob.key --yes   # without --yes: shows it, asks
git push -q origin main                            # the hook verifies, then publishes
cd ..

# A downloader pins the first root (got through a channel it trusts) and downloads.
tufgit serve mirror --addr "$ADDR" 2> serve.log &   # any static web server will do
sleep 1
tufgit client init --mirror "http://$ADDR" --root packages/metadata/root_history/1.root.json
tufgit releases hello
tufgit download hello 1.0.0 -o downloads/          # checked before it lands
kill $!
