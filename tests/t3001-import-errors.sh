#!/bin/sh
# checks: 50
# broken images: each import fails with exit 1 and one line on stderr, and
# leaves the store as it was (no tag, no blob, no temporary file).
. "$(dirname "$0")/lib.sh"

S=$STRATA
cd "$T" || exit 1
if ! need python3 sha256sum; then
	skip import-errors "python3 or sha256sum missing"
	exit 0
fi

# a small good image, exported as a layout to break in copies
mkdir -p "$T/root/bin" && echo hello >"$T/root/bin/hello"
if ! $S import rootfs:"$T/root" small:1 >/dev/null || ! $S export small:1 oci:"$T/good"; then
	fail setup "cannot make the image to break"
	exit 0
fi
D=$(sed -n 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$T/good/index.json")
M=$T/good/blobs/sha256/${D#sha256:}
C=$(sed -n 's/.*"config":{"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$M")
L=$(sed -n 's/.*"layers":\[{"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$M")
blob() { echo "$1/blobs/sha256/${2#sha256:}"; }
sha() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
size() { wc -c <"$1" | tr -d ' '; }

state() { $S images; ls "$STRATA_STORE/blobs/sha256" "$STRATA_STORE/tmp"; }
state >"$T/state0"

# fails NAME 'STDERR LINE' SRC: importing SRC must fail with that one line and change nothing
fails() {
	check_err "$1" "$2" $S import "$3" victim:latest
	state >"$T/state1"
	if cmp -s "$T/state0" "$T/state1"; then ok "$1-store-unchanged"; else fail "$1-store-unchanged" "$(diff "$T/state0" "$T/state1" | head -5)"; fi
}

# corrupt layer (same size, one byte changed)
cp -r "$T/good" "$T/corrupt"
f=$(blob "$T/corrupt" "$L")
printf 'X' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
fails corrupt-layer "strata: blob $L: digest mismatch: content is $(sha "$f")" oci:"$T/corrupt"

# truncated layer
cp -r "$T/good" "$T/trunc"
f=$(blob "$T/trunc" "$L")
n=$(size "$f")
truncate -s $((n - 10)) "$f"
fails truncated-layer "strata: blob $L: truncated: $((n - 10)) of $n bytes" oci:"$T/trunc"

# corrupt manifest
cp -r "$T/good" "$T/badman"
f=$(blob "$T/badman" "$D")
sed -i 's/"schemaVersion":2/"schemaVersion":3/' "$f"
fails corrupt-manifest "strata: blob $D: digest mismatch: content is $(sha "$f")" oci:"$T/badman"

# wrong digests in index.json: a blob that is not there, and one that is another blob
zero=sha256:$(printf '%064d' 0)
cp -r "$T/good" "$T/wrongidx"
sed -i "s/$D/$zero/" "$T/wrongidx/index.json"
fails index-missing-blob "strata: blob $zero: No such file or directory" oci:"$T/wrongidx"
cp -r "$T/good" "$T/wrongidx2"
sed -i "s/$D/$C/" "$T/wrongidx2/index.json"
fails index-wrong-digest "strata: blob $C: truncated: $(size "$(blob "$T/good" "$C")") of $(size "$M") bytes" \
	oci:"$T/wrongidx2"
cp -r "$T/good" "$T/badtag"
fails index-no-such-tag "strata: index.json: no image named nope" oci:"$T/badtag":nope

# missing inputs and unknown transports
fails missing-oci-dir "strata: $T/nope: No such file or directory" oci:"$T/nope"
fails missing-oci-archive "strata: $T/nope.tar: No such file or directory" oci-archive:"$T/nope.tar"
fails missing-docker-archive "strata: $T/nope.tar: No such file or directory" docker-archive:"$T/nope.tar"
fails missing-rootfs "strata: $T/nope: No such file or directory" rootfs:"$T/nope"
fails not-a-layout "strata: $T/root: not an OCI layout: index.json: No such file or directory" oci:"$T/root"
fails unknown-transport "strata: foo:bar: unknown transport \"foo\" (want oci:, oci-archive:, docker-archive: or rootfs:)" foo:bar
fails no-transport "strata: nothing: want TRANSPORT:PATH (oci:, oci-archive:, docker-archive:, rootfs:)" nothing

# hand-made images with layers that try to leave the root
cat >"$T/mk.py" <<'EOF'
import gzip, hashlib, io, json, os, sys, tarfile
kind, out, spec = sys.argv[1], sys.argv[2], sys.argv[3]
wrong_diff = len(sys.argv) > 4
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
    for e in spec.split(","):
        name, _, link = e.partition("=")
        ti = tarfile.TarInfo(name)
        if link:
            ti.type, ti.linkname = tarfile.LNKTYPE, link
            t.addfile(ti)
        else:
            ti.size = 4
            t.addfile(ti, io.BytesIO(b"evil"))
tar = buf.getvalue()
sha = lambda b: "sha256:" + hashlib.sha256(b).hexdigest()
diff = sha(b"other") if wrong_diff else sha(tar)
config = json.dumps({"architecture": "amd64", "os": "linux",
                     "rootfs": {"type": "layers", "diff_ids": [diff]}}).encode()
os.makedirs(out)
def put(rel, data):
    os.makedirs(os.path.dirname(os.path.join(out, rel)) or out, exist_ok=True)
    open(os.path.join(out, rel), "wb").write(data)
if kind == "docker":
    put("config.json", config)
    put("layer/layer.tar", tar)
    put("manifest.json", json.dumps([{"Config": "config.json", "RepoTags": ["evil:latest"],
                                      "Layers": ["layer/layer.tar"]}]).encode())
else:
    gz = gzip.compress(tar, mtime=0)
    desc = lambda mt, b: {"mediaType": mt, "digest": sha(b), "size": len(b)}
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": desc("application/vnd.oci.image.config.v1+json", config),
                           "layers": [desc("application/vnd.oci.image.layer.v1.tar+gzip", gz)]}).encode()
    for b in (config, gz, manifest):
        put("blobs/sha256/" + sha(b)[7:], b)
    put("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    put("index.json", json.dumps({"schemaVersion": 2,
                                  "manifests": [desc("application/vnd.oci.image.manifest.v1+json", manifest)]}).encode())
print(sha(gz) if kind == "oci" else sha(tar))
EOF
ld=$(python3 "$T/mk.py" oci "$T/evil-oci" "ok,../evil")
fails evil-oci "strata: layer $ld: entry ../evil: path leaves the root" oci:"$T/evil-oci"
tar -C "$T/evil-oci" -cf "$T/evil-oci.tar" .
fails evil-oci-archive "strata: layer $ld: entry ../evil: path leaves the root" oci-archive:"$T/evil-oci.tar"
ld=$(python3 "$T/mk.py" docker "$T/evil-docker" "a/../../evil")
tar -C "$T/evil-docker" -cf "$T/evil-docker.tar" .
fails evil-docker-archive "strata: layer $ld: entry a/../../evil: path leaves the root" docker-archive:"$T/evil-docker.tar"
ld=$(python3 "$T/mk.py" oci "$T/evil-abs" "/../../etc/evil")
fails evil-absolute "strata: layer $ld: entry /../../etc/evil: path leaves the root" oci:"$T/evil-abs"
ld=$(python3 "$T/mk.py" oci "$T/evil-link" "x,y=../../etc/shadow")
fails evil-hardlink "strata: layer $ld: entry y: hard link to ../../etc/shadow leaves the root" oci:"$T/evil-link"
ld=$(python3 "$T/mk.py" oci "$T/wrongdiff" "fine" wrong)
real=$(python3 -c 'import gzip,hashlib,sys; print("sha256:"+hashlib.sha256(gzip.open(sys.argv[1]).read()).hexdigest())' "$(blob "$T/wrongdiff" "$ld")")
fails wrong-diff-id "strata: layer $ld: diff_id $real, but the config says sha256:$(printf other | sha256sum | cut -d' ' -f1)" oci:"$T/wrongdiff"
# an absolute path that stays inside is fine, as in docker
python3 "$T/mk.py" oci "$T/abs-ok" "/etc/fine" >/dev/null
check import-absolute-entry $S import oci:"$T/abs-ok" abs:ok

# docker-archive whose manifest.json points outside the archive
mkdir "$T/dout" && echo '[{"Config":"../../etc/passwd","RepoTags":[],"Layers":[]}]' >"$T/dout/manifest.json"
tar -C "$T/dout" -cf "$T/dout.tar" manifest.json
$S rmi abs:ok >/dev/null && $S gc >/dev/null
state >"$T/state0"
fails docker-config-outside "strata: ../../etc/passwd: path leaves the archive" docker-archive:"$T/dout.tar"
# a layout whose blob is a symlink out of the archive
mkdir -p "$T/lout/blobs/sha256" && cp "$T/good/index.json" "$T/good/oci-layout" "$T/lout/"
ln -s /etc/passwd "$T/lout/blobs/sha256/${D#sha256:}"
tar -C "$T/lout" -cf "$T/lout.tar" .
fails oci-archive-symlink-out "strata: blob $D: blobs/sha256/${D#sha256:}: path leaves the archive" oci-archive:"$T/lout.tar"

# a damaged store blob: export fails and leaves no output, not even a temporary one
f=$STRATA_STORE/blobs/sha256/${L#sha256:}
chmod u+w "$f"
printf 'X' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
bad=$(sha "$f")
mkdir "$T/out"
for dest in oci:"$T/out/lay" oci-archive:"$T/out/o.tar" docker-archive:"$T/out/d.tar"; do
	kind=${dest%%:*}
	check_err "export-corrupt-$kind" "strata: corrupt blob $L in the store: content is $bad" $S export small:1 "$dest"
	if [ -z "$(ls "$T/out")" ]; then ok "export-corrupt-$kind-no-output"; else fail "export-corrupt-$kind-no-output" "$(ls "$T/out")"; fi
done
check_err export-bad-transport "strata: docker://x/y: cannot export to transport \"docker\" (want oci:, oci-archive: or docker-archive:)" \
	$S export small:1 docker://x/y
exit 0
