#!/bin/sh
# examples/base/busybox.sh: a tiny base image from Debian's busybox-static,
# in a second, for tests and quick tries: /bin/busybox with its applet links,
# /etc/passwd and /etc/group with root and an "app" user (1000:1000), the
# empty directories a container needs (/dev /proc /sys /tmp /run /root /home/app), imported with `strata import rootfs:`.
#
#   examples/base/busybox.sh [--force] [--dir DIR] [NAME]
#
# NAME defaults to localhost/busybox:latest. Without --force nothing is done
# when NAME is already in the store. --dir DIR also leaves the root
# filesystem in DIR (which must not exist), for other builders to import.
# STRATA names the binary (default: ./strata of this checkout, else strata on
# PATH), STRATA_STORE the store, SOURCE_DATE_EPOCH the epoch (default 0);
# BUSYBOX the static busybox to use (default: the one on PATH).
# Reproducible: the image depends only on the busybox binary.
set -eu

force=0 dir= name=localhost/busybox:latest
while [ $# -gt 0 ]; do
	case $1 in
	--force) force=1 ;;
	--dir) dir=${2:?--dir needs a DIR}; shift ;;
	--dir=*) dir=${1#--dir=} ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "busybox.sh: unknown option $1" >&2; exit 1 ;;
	*) name=$1 ;;
	esac
	shift
done

here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${STRATA:-}" ]; then
	if [ -x "$here/../../strata" ]; then STRATA=$here/../../strata; else STRATA=strata; fi
fi
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-0}"

if [ $force = 0 ] && [ -z "$dir" ] && "$STRATA" inspect "$name" >/dev/null 2>&1; then
	echo "busybox.sh: $name is already in the store (--force makes it again)"
	exit 0
fi
bb=${BUSYBOX:-$(command -v busybox || true)}
if [ -z "$bb" ] || ! "$bb" --list >/dev/null 2>&1; then
	echo "busybox.sh: no busybox (apt-get install busybox-static)" >&2
	exit 1
fi
if ldd "$bb" >/dev/null 2>&1; then
	echo "busybox.sh: $bb is dynamically linked (apt-get install busybox-static)" >&2
	exit 1
fi

work=
cleanup() { [ -z "$work" ] || rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ -n "$dir" ]; then
	[ ! -e "$dir" ] || { echo "busybox.sh: $dir exists" >&2; exit 1; }
	root=$dir
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/strata-busybox.XXXXXX")
	root=$work/rootfs
fi
mkdir -p "$root/bin" "$root/etc" "$root/root" "$root/home/app" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/run"
cp "$bb" "$root/bin/busybox"
for a in $("$bb" --list); do
	[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' >"$root/etc/group"
chmod 755 "$root" "$root/bin" "$root/etc" "$root/bin/busybox" "$root/home" "$root/dev" "$root/run"
chmod 700 "$root/root"
chmod 555 "$root/proc" "$root/sys"
chmod 1777 "$root/tmp"
chmod 644 "$root/etc/passwd" "$root/etc/group"
chown 1000:1000 "$root/home/app" 2>/dev/null || true
chmod 755 "$root/home/app"
"$STRATA" import "rootfs:$root" "$name"
