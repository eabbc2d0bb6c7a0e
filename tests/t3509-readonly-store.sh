#!/bin/sh
# checks: 5
# issue 6.16: a read-only store (a shared cache mounted read-only) serves the readers: images,
# inspect and export take the lock shared through a read-only descriptor; a build says why not.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need unshare && [ "$(id -u)" = 0 ] || { skip readonly-store "needs root and unshare (for a read-only bind mount)"; exit 0; }
mkdir -p root/etc ctx && echo hello >root/etc/motd
$S import rootfs:"$T/root" base:1 >/dev/null || { fail setup "import failed"; exit 0; }
$S images >images.want && $S inspect base:1 >inspect.want && $S export base:1 oci-archive:"$T/want.tar" || { fail setup "reads failed"; exit 0; }
printf 'FROM base:1\nLABEL a=b\n' >ctx/Dockerfile

# run CMD... with the store mounted read-only (in a private mount namespace)
ro() { unshare -m sh -c 'mount --bind "$STRATA_STORE" "$STRATA_STORE" && mount -o remount,bind,ro "$STRATA_STORE" && exec "$@"' sh "$@"; }
ro $S images >images.got 2>images.err && cmp -s images.want images.got && ok readonly:images || fail readonly:images "$(cat images.err)"
ro $S inspect base:1 >inspect.got 2>inspect.err && cmp -s inspect.want inspect.got && ok readonly:inspect || fail readonly:inspect "$(cat inspect.err)"
ro $S export base:1 oci-archive:"$T/got.tar" 2>export.err && cmp -s want.tar got.tar && ok readonly:export || fail readonly:export "$(cat export.err)"
check_err readonly:build "strata: create temporary directory in $STRATA_STORE/tmp: Read-only file system" ro $S build -q ctx
[ -z "$(ls "$STRATA_STORE/tmp")" ] && ok readonly:nothing-left || fail readonly:nothing-left "$(ls "$STRATA_STORE/tmp")"
