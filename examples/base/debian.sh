#!/bin/sh
# examples/base/debian.sh: a Debian bookworm base image from Debian's own
# packages, without any registry: `debootstrap --variant=minbase bookworm`
# from this machine's apt mirror, made reproducible, then `strata import
# rootfs:`. Needs root and debootstrap (./configure --install-deps installs it).
#
#   examples/base/debian.sh [--force] [--tar FILE] [NAME]
#
# NAME defaults to debian:bookworm (what `FROM debian:bookworm` finds in the
# local store). Without --force nothing is done when NAME is already in the
# store. --tar FILE keeps the root filesystem tarball at FILE, and imports
# FILE instead of running debootstrap when it exists (the tests reuse one).
# STRATA names the binary (default: ./strata of this checkout, else strata on
# PATH); STRATA_STORE the store; SOURCE_DATE_EPOCH the epoch (default 0);
# DEBIAN_MIRROR overrides the mirror read from /etc/apt/sources.list*.
#
# Reproducible: two runs against the same mirror state give the same tarball
# and the same image digest. What debootstrap leaves that depends on the time
# or the host (logs, apt's lists and caches, ldconfig's aux-cache, *-old
# backups, the host's resolv.conf and hostname, the password change day) is
# removed or fixed below, as debuerreotype does.
set -eu

force=0 tar= name=debian:bookworm suite=bookworm
while [ $# -gt 0 ]; do
	case $1 in
	--force) force=1 ;;
	--tar) tar=${2:?--tar needs a FILE}; shift ;;
	--tar=*) tar=${1#--tar=} ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "debian.sh: unknown option $1" >&2; exit 1 ;;
	*) name=$1 ;;
	esac
	shift
done

here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${STRATA:-}" ]; then
	if [ -x "$here/../../strata" ]; then STRATA=$here/../../strata; else STRATA=strata; fi
fi
epoch=${SOURCE_DATE_EPOCH:-0}
export SOURCE_DATE_EPOCH=$epoch

if [ $force = 0 ] && "$STRATA" inspect "$name" >/dev/null 2>&1; then
	echo "debian.sh: $name is already in the store (--force makes it again)"
	exit 0
fi

# the Debian entries of this machine's apt sources, one-line format:
# "URI SUITE COMPONENTS..." for each suite of $suite (bookworm, -updates, -security)
sources() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" { $1 = ""; print }'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && enabled != "no")
				for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j], comps
			types = ""; comps = ""; nu = 0; ns = 0; enabled = ""
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		{
			key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
			if (key == "types") types = $0
			else if (key == "uris") nu = split($0, u, " ")
			else if (key == "suites") ns = split($0, s, " ")
			else if (key == "components") comps = $0
			else if (key == "enabled") enabled = tolower($0)
		}
		END { flush() }' "$f"
	done
}
debian=$(sources | awk -v s="$suite" '$2 == s || index($2, s "-") == 1 || index($2, s "/") == 1' | sed 's/^ *//' | awk '!seen[$0]++')
mirror=${DEBIAN_MIRROR:-$(echo "$debian" | awk -v s="$suite" '$2 == s { print $1; exit }')}
mirror=${mirror:-http://deb.debian.org/debian}
[ -n "$debian" ] || debian="$mirror $suite main
$mirror $suite-updates main
http://deb.debian.org/debian-security $suite-security main"

work=
cleanup() { [ -z "$work" ] || rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "$tar" ] && [ -s "$tar" ]; then
	echo "debian.sh: importing the kept root filesystem $tar"
	"$STRATA" import "rootfs:$tar" "$name"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "debian.sh: debootstrap needs root" >&2
	exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
	echo "debian.sh: debootstrap is missing (apt-get install debootstrap, or ./configure --install-deps)" >&2
	exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-debian.XXXXXX")
root=$work/rootfs
echo "debian.sh: debootstrap --variant=minbase $suite from $mirror"
if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/log" 2>&1; then
	tail -n 20 "$work/log" >&2
	[ -f "$root/debootstrap/debootstrap.log" ] && tail -n 20 "$root/debootstrap/debootstrap.log" >&2
	echo "debian.sh: debootstrap failed" >&2
	exit 1
fi

# the image's apt sources are this machine's Debian entries
rm -f "$root/etc/apt/sources.list"
echo "$debian" | awk '{ printf "deb %s\n", $0 }' >"$root/etc/apt/sources.list"
chmod 644 "$root/etc/apt/sources.list"

# what depends on the time or the host rather than on the packages
rm -rf "$root/dev" "$root/proc" "$root/sys" "$root/run" "$root/tmp"
mkdir -p "$root/dev" "$root/proc" "$root/sys" "$root/run/lock" "$root/tmp"
chmod 755 "$root/dev" "$root/run"
chmod 555 "$root/proc" "$root/sys"
chmod 1777 "$root/tmp" "$root/run/lock"
rm -f "$root/etc/hostname" "$root/etc/resolv.conf" "$root/etc/machine-id" \
	"$root/var/cache/ldconfig/aux-cache" "$root"/var/cache/apt/*.bin \
	"$root"/var/lib/dpkg/*-old "$root"/var/cache/debconf/*-old "$root"/etc/*-
find "$root/var/log" "$root/var/lib/apt/lists" "$root/var/cache/apt/archives" \
	-mindepth 1 ! -name lock ! -name partial ! -name auxfiles -exec rm -rf {} +
rm -rf "$root"/var/lib/apt/lists/partial/* "$root"/var/cache/apt/archives/partial/*
# the day of the last password change is today's date: the epoch's instead
sed -i -E "s/^([^:]*:[^:]*:)[0-9]+:/\1$((epoch / 86400)):/" "$root/etc/shadow"

# a tarball whose bytes depend only on the files: sorted, numeric owners, the
# epoch as every time, no atime/ctime, fixed pax header names
out=${tar:-$work/rootfs.tar}
mkdir -p "$(dirname "$out")"
tar -C "$root" --sort=name --numeric-owner --mtime="@$epoch" --xattrs --xattrs-include=security.capability \
	--format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
	-cf "$out.tmp" . && mv "$out.tmp" "$out"
"$STRATA" import "rootfs:$out" "$name"
