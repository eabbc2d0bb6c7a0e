#!/bin/sh
# checks: 24
# t4200-validate: an image built from examples/diff/01-copy-files, written as
# oci:, oci-archive: and docker-archive: (by build -o and by export), passes
# oci-image-tool validate, skopeo inspect and umoci unpack, and runs under
# podman when tests/podman.sh can set podman up.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	skip t4200 "needs root (umoci unpack with owners)"
	exit 0
fi
bb=$(command -v busybox || true)
if [ -z "$bb" ]; then
	skip t4200 "needs busybox (busybox-static)"
	exit 0
fi
export SOURCE_DATE_EPOCH=0

# the busybox base, as t4000 makes it
root=$T/rootfs
mkdir -p "$root/bin" "$root/etc"
cp "$bb" "$root/bin/busybox"
chmod 755 "$root" "$root/bin" "$root/etc" "$root/bin/busybox"
chroot "$root" /bin/busybox --install -s /bin 2>/dev/null ||
	for a in $("$bb" --list); do [ -e "$root/bin/$a" ] || ln -s /bin/busybox "$root/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' >"$root/etc/group"
chmod 644 "$root/etc/passwd" "$root/etc/group"
if ! $STRATA import "rootfs:$root" localhost/busybox:latest >"$T/import.log" 2>&1; then
	fail t4200/import "strata import: $(head -c 300 "$T/import.log")"
	exit 0
fi

ctx=$T/ctx
cp -R "$top/examples/diff/01-copy-files" "$ctx"
find "$ctx" -type d -exec chmod 755 {} +
find "$ctx" -type f -exec chmod 644 {} +
chmod 755 "$ctx/run.sh"
img=localhost/validate:v1
if $STRATA build -t "$img" -o "oci:$T/built:v1" -o "oci-archive:$T/built.tar" \
	-o "docker-archive:$T/built-docker.tar" "$ctx" >"$T/build.log" 2>&1; then
	ok t4200/build
else
	fail t4200/build "strata build: $(tail -c 300 "$T/build.log")"
	exit 0
fi
check t4200/export-oci $STRATA export "$img" "oci:$T/exported:v1"
check t4200/export-oci-archive $STRATA export "$img" "oci-archive:$T/exported.tar"
check t4200/export-docker-archive $STRATA export "$img" "docker-archive:$T/exported-docker.tar"

# oci-image-tool takes a layout directory or its tar
if need oci-image-tool; then
	for ref in built exported; do
		check "t4200/oci-image-tool-$ref-dir" oci-image-tool validate --type image --ref name=v1 "$T/$ref"
		# oci-image-tool 1.0.0-rc1 fails its walk of any multi-layer tar
		# ("find failed: unable to walk: end of walk"; skopeo's own
		# oci-archives too), so the archive is validated unpacked
		mkdir -p "$T/$ref-x"
		if tar -xf "$T/$ref.tar" -C "$T/$ref-x"; then
			check "t4200/oci-image-tool-$ref-archive" oci-image-tool validate --type image "$T/$ref-x"
		else
			fail "t4200/oci-image-tool-$ref-archive" "tar could not read $ref.tar"
		fi
	done
else
	skip t4200/oci-image-tool "oci-image-tool not installed"
fi

if need skopeo; then
	for ref in "oci:$T/built:v1" "oci-archive:$T/built.tar" "docker-archive:$T/built-docker.tar" \
		"oci:$T/exported:v1" "oci-archive:$T/exported.tar" "docker-archive:$T/exported-docker.tar"; do
		check "t4200/skopeo-inspect-${ref%%:*}-$(basename "${ref#*:}" | sed 's/:.*//')" skopeo inspect "$ref"
	done
	# the same image whatever the transport: one config digest
	c1=$(skopeo inspect --format '{{.Digest}}' "oci:$T/built:v1" 2>/dev/null)
	c2=$(skopeo inspect --format '{{.Digest}}' "oci:$T/exported:v1" 2>/dev/null)
	c3=$(skopeo inspect --format '{{.Digest}}' "oci-archive:$T/exported.tar" 2>/dev/null)
	if [ -n "$c1" ] && [ "$c1" = "$c2" ] && [ "$c1" = "$c3" ]; then
		ok t4200/same-digest-build-export
	else
		fail t4200/same-digest-build-export "build -o oci: $c1, export oci: $c2, export oci-archive: $c3"
	fi
	cfg1=$(skopeo inspect --config --raw "oci:$T/built:v1" 2>/dev/null | sha256sum)
	cfg2=$(skopeo inspect --config --raw "docker-archive:$T/built-docker.tar" 2>/dev/null | sha256sum)
	if [ "$cfg1" = "$cfg2" ]; then
		ok t4200/same-config-oci-docker-archive
	else
		fail t4200/same-config-oci-docker-archive "the docker-archive's config differs from the oci one"
	fi
else
	skip t4200/skopeo "skopeo not installed"
fi

# unpack_check NAME LAYOUT [REF]: umoci unpacks LAYOUT:REF (default v1) and the copied files are there
unpack_check() {
	b=$T/bundle-$1
	if ! umoci unpack --image "$2:${3:-v1}" "$b" >"$T/umoci-$1.log" 2>&1; then
		fail "t4200/umoci-$1" "$(tail -c 300 "$T/umoci-$1.log")"
		return
	fi
	got="$(cat "$b/rootfs/dst/hello.txt" 2>&1)|$(cat "$b/rootfs/renamed.txt" 2>&1)|$(cat "$b/rootfs/multi/world.txt" 2>&1)"
	if [ "$got" = "hello|world|world" ] && [ -x "$b/rootfs/usr/local/bin/run.sh" ] &&
		[ -x "$b/rootfs/bin/busybox" ]; then
		ok "t4200/umoci-$1"
	else
		fail "t4200/umoci-$1" "unexpected content: $got"
	fi
}
if need umoci; then
	unpack_check oci "$T/built"
	unpack_check exported "$T/exported"
	mkdir -p "$T/from-archive"
	if tar -xf "$T/built.tar" -C "$T/from-archive"; then
		# an oci-archive names its image in full, as podman save does
		unpack_check oci-archive "$T/from-archive" "$img"
	else
		fail t4200/umoci-oci-archive "tar could not read the oci-archive"
	fi
	if need skopeo; then
		if skopeo copy -q "docker-archive:$T/built-docker.tar" "oci:$T/from-docker:v1" >"$T/conv.log" 2>&1; then
			unpack_check docker-archive "$T/from-docker"
		else
			fail t4200/umoci-docker-archive "skopeo copy: $(tail -c 300 "$T/conv.log")"
		fi
	fi
else
	skip t4200/umoci "umoci not installed"
fi

# podman: load the archives and run a command from the image
if [ -f "$top/tests/podman.sh" ]; then
	. "$top/tests/podman.sh"
	if podman_setup; then
		# podman_load NAME ARCHIVE: load, run cat, compare
		podman_load() {
			if ! podman load -i "$2" >"$T/podman-load-$1.log" 2>&1; then
				fail "t4200/podman-load-$1" "$(tail -c 300 "$T/podman-load-$1.log")"
				return
			fi
			ok "t4200/podman-load-$1"
			ref=$(sed -n 's/^Loaded image[^:]*: *//p' "$T/podman-load-$1.log" | head -n 1)
			ref=${ref%%,*}
			out=$(podman run --rm --network none "$ref" cat /dst/hello.txt 2>"$T/podman-run-$1.err")
			if [ "$out" = "hello" ]; then
				ok "t4200/podman-run-$1"
			else
				fail "t4200/podman-run-$1" "podman run $ref printed [$out]: $(tail -c 300 "$T/podman-run-$1.err")"
			fi
		}
		podman_load docker-archive "$T/built-docker.tar"
		podman_load oci-archive "$T/exported.tar"
		podman rmi -a -f >/dev/null 2>&1
	else
		skip t4200/podman "$podman_why"
	fi
else
	skip t4200/podman "tests/podman.sh not there"
fi
exit 0
