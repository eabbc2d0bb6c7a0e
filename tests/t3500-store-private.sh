#!/bin/sh
# checks: 8
# issue 6.1: the store holds extracted layers with an image's setuid binaries, device nodes and
# world-writable directories, so the store root and its folders are its owner's only (0700),
# checked and repaired whenever a command opens it; another user reaches nothing in it.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need setpriv && [ "$(id -u)" = 0 ] || { skip store-private "needs root and setpriv (to act as another user)"; exit 0; }
chmod 755 "$T"

# a base with a setuid-root binary, a 0666 device node and a world-writable directory
mkdir -p root/bin root/tmp ctx
cp /bin/true root/bin/suid && chmod 4755 root/bin/suid
mknod -m 666 root/null c 1 3 && chmod 1777 root/tmp
$S import rootfs:"$T/root" base:1 >/dev/null || { fail setup "import failed"; exit 0; }
echo x >ctx/f && printf 'FROM base:1\nCOPY f /f\n' >ctx/Dockerfile
$S build -q ctx >/dev/null || { fail setup "build failed"; exit 0; }
st=$STRATA_STORE

modes() { for d in "$st" "$st"/*/ "$st"/dirs/*/; do stat -c '%a %n' "$d"; done | grep -v '^700 ' ; }
bad=$(modes)
[ -z "$bad" ] && ok private:modes || fail private:modes "$bad"
[ -n "$(find "$st/dirs/layer" -perm -4000 -type f)" ] && ok private:layer-has-suid || fail private:layer-has-suid "no setuid file was extracted (the test proves nothing)"

# another user can neither list, nor run, nor open anything below the root
suid=$(find "$st/dirs/layer" -perm -4000 -type f | head -1)
dev=$(find "$st/dirs/layer" -type c -name null | head -1)
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@" >/dev/null 2>&1; }
nobody ls "$st/dirs/layer" && fail private:other-user-list "nobody listed dirs/layer" || ok private:other-user-list
nobody sh -c "exec '$suid'" && fail private:other-user-suid "nobody ran $suid" || ok private:other-user-suid
nobody sh -c "echo x >'$dev'" && fail private:other-user-device "nobody wrote to $dev" || ok private:other-user-device

# a store made wider (by an older strata, or by hand) is repaired at the next open, even by a reader
chmod 755 "$st" "$st/dirs" "$st/dirs/layer" "$st/blobs"
check private:repair-runs $S images
bad=$(modes)
[ -z "$bad" ] && ok private:repaired || fail private:repaired "$bad"
# a new store starts private, with its missing parents
STRATA_STORE="$T/new/deep/store" $S images >/dev/null
[ "$(stat -c %a "$T/new/deep/store")" = 700 ] && ok private:new-store || fail private:new-store "$(stat -c %a "$T/new/deep/store")"
