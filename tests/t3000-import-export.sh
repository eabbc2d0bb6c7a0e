#!/bin/sh
# checks: 55
# import a busybox root filesystem, export it as oci:, oci-archive: and
# docker-archive:, check the results with skopeo, umoci, oci-image-tool and
# podman, import them again (same digest), and check reproducibility.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/podman.sh"

bb=$(command -v busybox 2>/dev/null)
for p in /bin/busybox /usr/bin/busybox; do [ -n "$bb" ] || { [ -x "$p" ] && bb=$p; }; done
if [ -z "$bb" ] || ! file -L "$bb" 2>/dev/null | grep -q 'statically linked'; then
	skip busybox "no static busybox (apt-get install busybox-static)"
	exit 0
fi

# a busybox root filesystem: /bin/busybox, its applets as symlinks, root and app (1000)
root=$T/root
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/home/app"
cp "$bb" "$root/bin/busybox"
for a in $("$bb" --list); do [ "$a" = busybox ] || ln -s /bin/busybox "$root/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' >"$root/etc/group"
chmod 0755 "$root" "$root/bin" "$root/etc" "$root/home" "$root/home/app"
chmod 1777 "$root/tmp"
chmod 0644 "$root/etc/passwd" "$root/etc/group"
chown 1000:1000 "$root/home/app" 2>/dev/null
ln "$root/etc/passwd" "$root/etc/passwd.hard"

S=$STRATA
cd "$T" || exit 1

# ---- import and the store's view ----
D=$($S import rootfs:"$root" busybox 2>"$T/err")
if [ $? -eq 0 ] && [ "${D#sha256:}" != "$D" ]; then ok import-rootfs; else fail import-rootfs "$(cat "$T/err")"; exit 0; fi
short=$(echo "$D" | cut -c8-19)
id=$($S inspect --format '{{.Id}}' busybox | cut -c8-19)
if $S images | grep -q "^busybox  *latest  *$id  "; then ok images; else fail images "$($S images)"; fi
$S inspect --config busybox >"$T/config.json" 2>"$T/err" || fail inspect "$(cat "$T/err")"
arch=amd64
case $(uname -m) in aarch64) arch=arm64 ;; x86_64) arch=amd64 ;; *) arch= ;; esac
if need jq; then
	got=$(jq -r '[.architecture, .os, .created, .history[0].created_by, .history[0].created, (.rootfs.diff_ids|length)] | join(",")' "$T/config.json")
	want="$arch,linux,1970-01-01T00:00:00Z,strata import rootfs,1970-01-01T00:00:00Z,1"
	[ -n "$arch" ] || want=${got%%,*},${want#*,}
	if [ "$got" = "$want" ]; then ok inspect-config; else fail inspect-config "got [$got] want [$want]"; fi
	got=$($S inspect --manifest busybox:latest | jq -r '[.schemaVersion, .mediaType, .config.mediaType, .layers[0].mediaType] | join(",")')
	want="2,application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.config.v1+json,application/vnd.oci.image.layer.v1.tar+gzip"
	if [ "$got" = "$want" ]; then ok inspect-manifest; else fail inspect-manifest "got [$got]"; fi
	got=$($S inspect --config "$D" | jq -r .os)
	if [ "$got" = linux ]; then ok inspect-by-digest; else fail inspect-by-digest "got [$got]"; fi
else
	skip inspect-config "jq not installed"
fi
# the stored manifest is compact JSON with sorted keys
mfile=$STRATA_STORE/blobs/sha256/${D#sha256:}
if head -c 12 "$mfile" | grep -q '^{"config":{'; then ok manifest-compact; else fail manifest-compact "$(head -c 60 "$mfile")"; fi

# the layer holds the files as they are: modes, owners, symlinks, hard links, mtime 0
layer=$($S inspect --manifest busybox | sed -n 's/.*"digest": "sha256:\([0-9a-f]*\)".*/\1/p' | sed -n 2p)
tar tzvf "$STRATA_STORE/blobs/sha256/$layer" >"$T/layer.txt" 2>"$T/err"
if grep -q '^drwxrwxrwt 0/0 .* 1970-01-01 00:00 tmp/\?$' "$T/layer.txt" &&
	grep -q '^drwxr-xr-x 1000/1000 .* home/app/\?$' "$T/layer.txt" &&
	grep -q '^lrwxrwxrwx 0/0 .* bin/sh -> /bin/busybox$' "$T/layer.txt" &&
	grep -q '^hrw-r--r-- 0/0 .* etc/passwd.hard link to etc/passwd$' "$T/layer.txt" &&
	grep -q '^-rwxr-xr-x 0/0 .* 1970-01-01 00:00 bin/busybox$' "$T/layer.txt"; then
	ok layer-metadata
else
	fail layer-metadata "$(grep -e ' tmp' -e home/app -e bin/sh -e passwd -e bin/busybox "$T/layer.txt" | head -8)"
fi

# ---- export ----
check export-oci $S export busybox oci:"$T/lay"
check export-oci-archive $S export busybox:latest oci-archive:"$T/oci.tar":busybox:latest
check export-docker-archive $S export busybox docker-archive:"$T/docker.tar"
if [ "$(ls "$T" | grep -c tmp-)" -eq 0 ]; then ok export-no-temporaries; else fail export-no-temporaries "$(ls "$T")"; fi
want_index='{"manifests":[{"annotations":{"org.opencontainers.image.ref.name":"latest"},"digest":"'$D'","mediaType":"application/vnd.oci.image.manifest.v1+json","size":'$(wc -c <"$mfile")'}],"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2}'
if [ "$(cat "$T/lay/index.json")" = "$want_index" ]; then ok oci-index; else fail oci-index "$(cat "$T/lay/index.json")"; fi
if [ "$(cat "$T/lay/oci-layout")" = '{"imageLayoutVersion":"1.0.0"}' ]; then ok oci-layout-file; else fail oci-layout-file "$(cat "$T/lay/oci-layout")"; fi
tar tvf "$T/oci.tar" >"$T/ocitar.txt"
if [ "$(awk '{print $2, $4, $5}' "$T/ocitar.txt" | sort -u)" = "0/0 1970-01-01 00:00" ] &&
	[ "$(awk '{print $6}' "$T/ocitar.txt" | tr '\n' ' ')" = "blobs/ blobs/sha256/ $(ls "$T/lay/blobs/sha256" | sed 's,^,blobs/sha256/,' | tr '\n' ' ')index.json oci-layout " ]; then
	ok oci-archive-entries
else
	fail oci-archive-entries "$(cat "$T/ocitar.txt")"
fi
tar xOf "$T/docker.tar" manifest.json >"$T/dm.json" 2>/dev/null
if grep -q '"RepoTags":\["busybox:latest"\]' "$T/dm.json" && grep -q '"Config":"[0-9a-f]\{64\}\.json"' "$T/dm.json"; then
	ok docker-archive-manifest
else
	fail docker-archive-manifest "$(cat "$T/dm.json")"
fi

# exports are deterministic: again, later, elsewhere, the same bytes
sleep 1
(umask 077; TZ=Asia/Tokyo $S export busybox oci-archive:"$T/oci2.tar":busybox:latest) &&
	(umask 077; TZ=Asia/Tokyo $S export busybox docker-archive:"$T/docker2.tar")
if cmp -s "$T/oci.tar" "$T/oci2.tar" && cmp -s "$T/docker.tar" "$T/docker2.tar"; then
	ok export-deterministic
else
	fail export-deterministic "archives differ"
fi


# ---- outside tools ----
if need oci-image-tool; then
	# --ref takes criteria: name=REF selects the index entry by org.opencontainers.image.ref.name
	check oci-image-tool-validate oci-image-tool validate --type image --ref name=latest "$T/lay"
	check oci-image-tool-validate-all oci-image-tool validate --type image "$T/lay"
	mkdir "$T/ocix" && tar -C "$T/ocix" -xf "$T/oci.tar"
	check oci-image-tool-validate-archive oci-image-tool validate --type image --ref name=busybox:latest "$T/ocix"
else
	skip oci-image-tool "oci-image-tool not installed"
fi
if need skopeo; then
	got=$(skopeo inspect oci:"$T/lay":latest 2>"$T/err" | sed -n 's/^ *"Digest": "\(.*\)",$/\1/p')
	if [ "$got" = "$D" ]; then ok skopeo-inspect-oci; else fail skopeo-inspect-oci "got [$got] $(cat "$T/err")"; fi
	check skopeo-inspect-oci-archive skopeo inspect oci-archive:"$T/oci.tar"
	check skopeo-inspect-docker-archive skopeo inspect docker-archive:"$T/docker.tar"
	# skopeo's own docker-archive -> oci copy reads our archive, and we read its layout
	check skopeo-copy skopeo copy --quiet docker-archive:"$T/docker.tar" oci:"$T/skopeo-lay":sk
	if check skopeo-layout-import $S import oci:"$T/skopeo-lay":sk skopeo:copied; then
		check skopeo-layout-runs-inspect $S inspect skopeo:copied
	fi
else
	skip skopeo "skopeo not installed"
fi
if need umoci; then
	if umoci unpack --image "$T/lay":latest "$T/bundle" >"$T/out" 2>"$T/err"; then
		if [ -x "$T/bundle/rootfs/bin/busybox" ] && grep -q '^app:x:1000:1000:' "$T/bundle/rootfs/etc/passwd" &&
			[ "$(readlink "$T/bundle/rootfs/bin/sh")" = /bin/busybox ]; then
			ok umoci-unpack
		else
			fail umoci-unpack "files missing in $(ls "$T/bundle/rootfs" | tr '\n' ' ')"
		fi
	else
		fail umoci-unpack "$(head -c 300 "$T/err")"
	fi
else
	skip umoci "umoci not installed"
fi
if podman_setup; then
	if podman load -q -i "$T/docker.tar" >"$T/out" 2>"$T/err"; then ok podman-load-docker; else fail podman-load-docker "$(head -c 300 "$T/err")"; fi
	got=$(podman run --rm localhost/busybox:latest /bin/busybox echo hi 2>"$T/err")
	if [ "$got" = hi ]; then ok podman-run-docker; else fail podman-run-docker "got [$got] $(head -c 300 "$T/err")"; fi
	got=$(podman run --rm --user app localhost/busybox:latest /bin/busybox id -u 2>"$T/err")
	if [ "$got" = 1000 ]; then ok podman-run-user; else fail podman-run-user "got [$got] $(head -c 300 "$T/err")"; fi
	podman rmi -a -f >/dev/null 2>&1
	if podman load -q -i "$T/oci.tar" >"$T/out" 2>"$T/err"; then ok podman-load-oci; else fail podman-load-oci "$(head -c 300 "$T/err")"; fi
	got=$(podman run --rm localhost/busybox:latest /bin/busybox echo hi 2>"$T/err")
	if [ "$got" = hi ]; then ok podman-run-oci; else fail podman-run-oci "got [$got] $(head -c 300 "$T/err")"; fi
	podman rmi -a -f >/dev/null 2>&1
else
	skip podman "$podman_why"
fi

# ---- round trips: what we exported imports as the same image ----
for src in oci:"$T/lay" oci:"$T/lay":latest oci-archive:"$T/oci.tar" oci-archive:"$T/oci.tar":busybox:latest \
	docker-archive:"$T/docker.tar" docker-archive:"$T/docker.tar":busybox:latest; do
	kind=${src%%:*}
	got=$($S import "$src" rt:"$kind" 2>"$T/err")
	# docker-archive layers are tars: gzip'd again under the layer contract, they come back identical
	if [ "$got" = "$D" ]; then ok "roundtrip-$kind"; else fail "roundtrip-$kind" "$src: got [$got] want [$D] $(cat "$T/err")"; fi
done
# an existing layout gets a second tag; the same tag again replaces its entry
check export-oci-second-tag $S export busybox oci:"$T/lay":v2
check export-oci-same-tag $S export busybox oci:"$T/lay":v2
n=$(grep -o '"org.opencontainers.image.ref.name"' "$T/lay/index.json" | wc -l)
if [ "$n" -eq 2 ]; then ok oci-index-two-tags; else fail oci-index-two-tags "$(cat "$T/lay/index.json")"; fi
mkdir "$T/notlayout" && echo x >"$T/notlayout/file"
check_err export-not-layout "strata: $T/notlayout: exists and is not an OCI layout" $S export busybox oci:"$T/notlayout"
check_err export-no-image "strata: no such image: nope:latest" $S export nope oci:"$T/nope"
check_err import-oci-ambiguous "strata: index.json: 2 images; choose one with :TAG" $S import oci:"$T/lay" x
got=$($S import oci:"$T/lay":v2 rt:v2 2>&1)
if [ "$got" = "$D" ]; then ok import-oci-by-tag; else fail import-oci-by-tag "$got"; fi

# ---- reproducibility: umask, TZ, mtimes, a tar instead of a directory ----
cp -a "$root" "$T/root2"
find "$T/root2" -exec touch -h -d '2001-02-03 04:05:06' {} +
got=$(umask 077; TZ=America/New_York $S import rootfs:"$T/root2" repro:dir)
if [ "$got" = "$D" ]; then ok repro-dir-mtimes-umask-tz; else fail repro-dir-mtimes-umask-tz "got [$got] want [$D]"; fi
tar -C "$root" --numeric-owner -cf "$T/root.tar" .
got=$(umask 077; TZ=Asia/Tokyo $S import rootfs:"$T/root.tar" repro:tar 2>&1)
if [ "$got" = "$D" ]; then ok repro-tar; else fail repro-tar "got [$got] want [$D]"; fi
gzip -c "$T/root.tar" >"$T/root.tgz"
got=$(umask 022; $S import rootfs:"$T/root.tgz" repro:tgz 2>&1)
if [ "$got" = "$D" ]; then ok repro-tar-gz; else fail repro-tar-gz "got [$got] want [$D]"; fi
got=$(SOURCE_DATE_EPOCH=1700000000 $S import rootfs:"$root" repro:sde)
created=$($S inspect --config repro:sde | sed -n 's/^  "created": "\(.*\)",$/\1/p')
if [ "$got" != "$D" ] && [ "$created" = 2023-11-14T22:13:20Z ]; then ok repro-source-date-epoch; else fail repro-source-date-epoch "$got $created"; fi
check_err bad-source-date-epoch "strata: SOURCE_DATE_EPOCH=soon: want a number of seconds" \
	env SOURCE_DATE_EPOCH=soon $S import rootfs:"$root" x

# ---- rmi and gc ----
for t in $($S images | awk 'NR > 1 {print $1 ":" $2}'); do $S rmi "$t" >/dev/null || fail rmi "$t"; done
if [ -z "$($S images -q)" ]; then ok rmi-all; else fail rmi-all "$($S images)"; fi
check_err rmi-missing "strata: no such image: busybox:latest" $S rmi busybox
out=$($S gc)
case $out in "freed "*) ok gc-output ;; *) fail gc-output "$out" ;; esac
if [ -z "$(ls "$STRATA_STORE/blobs/sha256")" ]; then ok gc-frees-blobs; else fail gc-frees-blobs "$(ls "$STRATA_STORE/blobs/sha256")"; fi
check help-import $S import --help
$S import onlyone 2>/dev/null
rc=$?
if [ $rc -eq 2 ]; then ok usage-import; else fail usage-import "exit $rc, want 2"; fi
exit 0
