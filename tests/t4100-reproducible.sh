#!/bin/sh
# checks: 14
# t4100-reproducible: the same Dockerfile and context give the same manifest
# digest whatever the checkout (directory, umask, mtimes), the locale, the time
# zone and the state of the store; SOURCE_DATE_EPOCH and real changes to the
# inputs do change it; parallel builds sharing one store agree with serial ones.
. "$(dirname "$0")/lib.sh"

if ! need tar gzip python3; then
	skip t4100 "needs tar, gzip and python3"
	exit 0
fi
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
unset SOURCE_DATE_EPOCH

# the tar that ADD unpacks: made once, so both checkouts hold the same bytes
mkdir -p "$T/tarsrc/pkg/bin"
printf 'lib\n' >"$T/tarsrc/pkg/lib.txt"
printf '#!/bin/sh\n' >"$T/tarsrc/pkg/bin/tool"
chmod 755 "$T/tarsrc/pkg" "$T/tarsrc/pkg/bin" "$T/tarsrc/pkg/bin/tool"
chmod 640 "$T/tarsrc/pkg/lib.txt"
ln -s lib.txt "$T/tarsrc/pkg/lib-link"
tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$T/tarsrc" -cf - pkg |
	gzip -n >"$T/bundle.tar.gz"

# make_ctx DIR: write the context the way a checkout would, under the
# caller's umask (modes other than the x bit come from it)
make_ctx() {
	c=$1
	mkdir -p "$c/files/sub" "$c/files/private-dir" "$c/tree/a/b" "$c/other"
	cat >"$c/Dockerfile" <<'EOF'
FROM scratch AS assets
COPY files/ /assets/
ADD bundle.tar.gz /assets/unpacked/
COPY tree /assets/tree

FROM scratch
COPY --from=assets /assets /opt/app
COPY --chmod=0755 script.sh /usr/bin/script
COPY --chown=1000:1000 tree/a /home/app/a
ENV APP=demo
LABEL org.example.name=demo
CMD ["/usr/bin/script"]
EOF
	cat >"$c/Dockerfile.other" <<'EOF'
FROM scratch
COPY other/ /other/
COPY files/a.txt /a.txt
ENTRYPOINT ["/other/run"]
EOF
	printf 'a\n' >"$c/files/a.txt"
	printf 'b\n' >"$c/files/sub/b.txt"
	printf 'secret\n' >"$c/files/private-dir/key"
	printf 'odd\n' >"$c/files/odd-mode"
	printf '#!/bin/sh\necho hi\n' >"$c/files/exec.sh"
	printf '#!/bin/sh\necho script\n' >"$c/script.sh"
	printf 'deep\n' >"$c/tree/a/b/deep.txt"
	printf 'run\n' >"$c/other/run"
	ln -s a.txt "$c/files/link"
	ln -s ../a.txt "$c/files/sub/up"
	ln "$c/files/a.txt" "$c/files/hard"
	chmod +x "$c/files/exec.sh" "$c/other/run"
	# odd modes: a checkout could hold these; the layer must not depend on them
	chmod 600 "$c/files/odd-mode"
	chmod 700 "$c/files/private-dir"
	cp "$T/bundle.tar.gz" "$c/bundle.tar.gz"
}

# digest_of DIR TAG: the manifest digest that index.json gives TAG
digest_of() {
	$py - "$1" "$2" <<'EOF'
import json, sys
idx = json.load(open(sys.argv[1] + "/index.json"))
for m in idx.get("manifests", []):
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == sys.argv[2]:
        print(m["digest"])
        break
EOF
}

# build NAME STORE CTX [DOCKERFILE]: build into oci:$T/NAME:t, print the digest
# (extra environment and umask come from the caller's subshell)
build() {
	out=$T/oci-$1
	rm -rf "$out"
	df=${4:-Dockerfile}
	if STRATA_STORE=$2 $STRATA build -q -f "$3/$df" -o "oci:$out:t" "$3" >"$T/q-$1" 2>"$T/err-$1"; then
		d=$(digest_of "$out" t)
		# -q prints the image ID: the config digest of the manifest index.json names
		q=$(tail -n 1 "$T/q-$1")
		c=$(sed -n 's/^{"config":{"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$out/blobs/sha256/${d#sha256:}" 2>/dev/null)
		if [ -n "$q" ] && [ "$q" != "$c" ]; then
			echo "-q printed $q but index.json's image has ID $c" >>"$T/err-$1"
			echo "bad-q"
			return
		fi
		echo "${d:-none}"
	else
		echo "failed"
	fi
}

# same NAME WANT GOT: ok when both are the same real digest
same() {
	case $3 in sha256:*) ;; *) fail "$1" "build $3: $(head -c 300 "$T/err-$4" 2>/dev/null)"; return ;; esac
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "digest $3, want $2"; fi
}
differs() {
	case $3 in sha256:*) ;; *) fail "$1" "build $3: $(head -c 300 "$T/err-$4" 2>/dev/null)"; return ;; esac
	if [ "$2" != "$3" ]; then ok "$1"; else fail "$1" "digest unchanged: $3"; fi
}

# checkout 1: umask 022, C locale, UTC, in one directory
(umask 022 && make_ctx "$T/one/src")
# checkout 2: umask 077, another directory (a longer path), every mtime moved
(umask 077 && make_ctx "$T/second/checkout/of/src")
find "$T/second/checkout/of/src" -exec touch -h -d '2001-02-03 04:05:06' {} +
c1=$T/one/src c2=$T/second/checkout/of/src

d1=$(umask 022; TZ=UTC LANG=C LC_ALL=C build a "$T/store1" "$c1")
case $d1 in
sha256:*) ok t4100/build ;;
*)
	fail t4100/build "strata build: $(head -c 300 "$T/err-a")"
	exit 0
	;;
esac
d2=$(umask 077; TZ=Asia/Tokyo LANG=C.UTF-8 LC_ALL=C.UTF-8 build b "$T/store2" "$c2")
same t4100/other-checkout-umask-tz-lang-mtime-cold "$d1" "$d2" b
d3=$(umask 077; TZ=Asia/Tokyo LANG=C.UTF-8 build c "$T/store2" "$c2")
same t4100/warm-store "$d1" "$d3" c
d4=$(umask 022; TZ=UTC LANG=C build d "$T/store1" "$c2")
same t4100/warm-store-other-checkout "$d1" "$d4" d

d5=$(SOURCE_DATE_EPOCH=1700000000 build e "$T/store1" "$c1")
differs t4100/source-date-epoch-changes "$d1" "$d5" e
d5b=$(SOURCE_DATE_EPOCH=0 build e2 "$T/store1" "$c1")
same t4100/source-date-epoch-0-is-default "$d1" "$d5b" e2

touch -d '2010-01-01 00:00:00' "$c2/files/a.txt" "$c2/tree/a/b/deep.txt" "$c2/files/sub"
d6=$(build f "$T/store2" "$c2")
same t4100/touch-keeps-digest "$d1" "$d6" f

chmod 644 "$c2/files/exec.sh" 2>/dev/null
d7=$(build g "$T/store2" "$c2")
differs t4100/x-bit-changes "$d1" "$d7" g
chmod 755 "$c2/files/exec.sh"

printf 'new\n' >"$c2/files/sub/new.txt"
d8=$(build h "$T/store2" "$c2")
differs t4100/added-file-changes "$d1" "$d8" h
rm "$c2/files/sub/new.txt"
d9=$(build i "$T/store2" "$c2")
same t4100/removed-again-restores "$d1" "$d9" i

printf 'A\n' >"$c2/files/a.txt"
d10=$(build j "$T/store2" "$c2")
differs t4100/content-change-changes "$d1" "$d10" j

# two different images at once in one fresh store, against serial builds
o1=$(build o1 "$T/store4" "$c1" Dockerfile.other)
case $o1 in sha256:*) ok t4100/other-image ;; *) fail t4100/other-image "build $o1: $(head -c 300 "$T/err-o1")" ;; esac
build pa "$T/store3" "$c1" >"$T/pa.digest" &
pa=$!
build po "$T/store3" "$c1" Dockerfile.other >"$T/po.digest" &
po=$!
wait $pa
wait $po
same t4100/parallel-image-1 "$d1" "$(cat "$T/pa.digest")" pa
same t4100/parallel-image-2 "$o1" "$(cat "$T/po.digest")" po
exit 0
