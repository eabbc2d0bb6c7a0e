#!/bin/sh
# checks: 9
# issue 6.4: import reads only regular files (opened O_NONBLOCK|O_NOFOLLOW, checked S_ISREG), and
# never past their size: a fifo as index.json, a layer blob or a docker-archive Layers file would
# block forever, a character device or a link to /dev/zero would fill the disk.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need python3 timeout && [ "$(id -u)" = 0 ] || { skip import-regular "needs root (mknod), python3 and timeout"; exit 0; }
O="$top/tests/ocimake.py"
python3 "$O" lay '[{"name":"a","data":"x"}]' >ids
L=$(sed -n 2p ids) && H=${L#sha256:}
# imp NAME 'STDERR' SRC: the import fails at once (10 s is "hangs") with that line, and leaves nothing
imp() {
	check_err "regular:$1" "$2" timeout 10 $S import "$3" x:1
}
cp -r lay l1 && rm l1/index.json && mkfifo l1/index.json
imp fifo-index "strata: l1: not an OCI layout: index.json: not a regular file" oci:l1
cp -r lay l2 && rm l2/blobs/sha256/$H && mkfifo l2/blobs/sha256/$H
imp fifo-blob "strata: blob $L: l2/blobs/sha256/$H: not a regular file" oci:l2
cp -r lay l3 && ln -sf /dev/zero l3/blobs/sha256/$H
imp zero-link "strata: blob $L: l3/blobs/sha256/$H: a symbolic link, want a regular file" oci:l3
cp -r lay l4 && rm l4/blobs/sha256/$H && mknod l4/blobs/sha256/$H c 1 5
imp char-device "strata: blob $L: l4/blobs/sha256/$H: not a regular file" oci:l4
mkfifo top
imp fifo-archive "strata: top: not a regular file" oci-archive:top
ln -s /dev/zero zero.tar
imp zero-archive "strata: zero.tar: not a regular file" docker-archive:zero.tar
# docker archives whose Layers file is a fifo or /dev/zero's device (extracted as such by root)
python3 - <<'PY'
import io, json, tarfile
for name, typ in (("fifo.tar", tarfile.FIFOTYPE), ("chr.tar", tarfile.CHRTYPE)):
    with tarfile.open(name, "w") as tf:
        def put(n, data):
            ti = tarfile.TarInfo(n); ti.size = len(data); tf.addfile(ti, io.BytesIO(data))
        put("manifest.json", json.dumps([{"Config": "c.json", "RepoTags": ["x:1"], "Layers": ["l.tar"]}]).encode())
        put("c.json", json.dumps({"rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]}}).encode())
        ti = tarfile.TarInfo("l.tar"); ti.type = typ; ti.devmajor, ti.devminor = 1, 5; tf.addfile(ti)
PY
Z=sha256:0000000000000000000000000000000000000000000000000000000000000000
imp docker-fifo-layer "strata: blob $Z: l.tar: not a regular file" docker-archive:fifo.tar
imp docker-device-layer "strata: blob $Z: l.tar: not a regular file" docker-archive:chr.tar
[ -z "$(ls "$STRATA_STORE/tmp")" ] && ok regular:nothing-left || fail regular:nothing-left "$(ls "$STRATA_STORE/tmp")"
