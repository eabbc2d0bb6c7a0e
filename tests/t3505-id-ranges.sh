#!/bin/sh
# checks: 11
# issue 6.10: user and group ids are 32 bits. --chown parses an id as BuildKit's parseUID does
# (decimal up to 2^32, "root"; anything else is a name to look up), ids in the image's
# /etc/passwd and /etc/group must be numbers in range, and layer entries with an owner beyond
# 32 bits are refused at import, at extraction and for ADD: nothing wraps silently to 0.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need python3 || { skip id-ranges "python3 missing"; exit 0; }
O="$top/tests/ocimake.py"
st=$STRATA_STORE
mkdir -p root/etc ctx
printf 'root:x:0:0::/:/bin/sh\nbig:x:4294967296:0::/:/bin/sh\nabc:x:abc:0::/:/bin/sh\ngbad:x:7:99999999999::/:/bin/sh\nok:x:1000:1001::/:/bin/sh\n' >root/etc/passwd
printf 'root:x:0:\ngbig:x:-1:\n' >root/etc/group
$S import rootfs:"$T/root" base:1 >/dev/null || { fail setup "import failed"; exit 0; }
echo x >ctx/f
# c NAME CHOWN 'MESSAGE'
c() {
	printf 'FROM base:1\nCOPY --chown=%s f /f\n' "$2" >ctx/Dockerfile
	check_err "ids:$1" "strata: ctx/Dockerfile:2:1: $3" $S build -q ctx
}
c chown-2^32 4294967296 "unable to find user 4294967296: no matching entries in etc/passwd"
c chown-minus-1 -1 "unable to find user -1: no matching entries in etc/passwd"
c chown-group-2^32 0:4294967296 "unable to find group 4294967296: no matching entries in etc/group"
c passwd-uid-2^32 big 'user big in etc/passwd: uid "4294967296" is not a number from 0 to 4294967294'
c passwd-uid-word abc 'user abc in etc/passwd: uid "abc" is not a number from 0 to 4294967294'
c passwd-gid gbad 'user gbad in etc/passwd: gid "99999999999" is not a number from 0 to 4294967294'
c group-gid ok:gbig 'group gbig in etc/group: gid "-1" is not a number from 0 to 4294967294'
printf 'FROM base:1\nCOPY --chown=4294967294:7 f /f\n' >ctx/Dockerfile
check ids:chown-max $S build -q ctx

# a layer entry owned by 2^40
E='[{"name":"a","data":"x","uid":1099511627776}]'
python3 "$O" lay "$E" >lay.ids
check_err ids:import-entry "strata: layer $(sed -n 2p lay.ids): entry a: owner 1099511627776:0 out of range (ids go from 0 to 4294967294)" \
	$S import oci:lay big:1
python3 "$O" --plant "$st" big:2 lay2 "$E" >lay2.ids
l2=$(sed -n 2p lay2.ids)
printf 'FROM big:2\nCOPY f /f\n' >ctx/Dockerfile
check_err ids:extract-entry "strata: ctx/Dockerfile:2:1: layer $l2: $st/blobs/sha256/${l2#sha256:}: entry a: owner 1099511627776:0 out of range (ids go from 0 to 4294967294)" \
	$S build -q ctx
python3 -c 'import io, tarfile
with tarfile.open("ctx/big.tar", "w", format=tarfile.PAX_FORMAT) as tf:
    ti = tarfile.TarInfo("a"); ti.gid = 1 << 40; ti.size = 1; tf.addfile(ti, io.BytesIO(b"x"))'
printf 'FROM scratch\nADD big.tar /x/\n' >ctx/Dockerfile
check_err ids:add-entry "strata: ctx/Dockerfile:2:1: ctx/big.tar: entry a: owner 0:1099511627776 out of range (ids go from 0 to 4294967294)" \
	$S build -q ctx
