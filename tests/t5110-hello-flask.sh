#!/bin/sh
# checks: 16
# t5110-hello-flask: the tutorial, end to end, on examples/hello-flask: build
# it tagged my-app on the Debian base of examples/base/debian.sh, run it the
# tutorial's way with podman (-p HOST:5000 -d --name my-app --rm), curl
# "Hello, World!", podman stop; serve it with `strata run` too; edit main.py
# and rebuild: no RUN runs again (counted in the build's output); two
# --no-cache builds with --drop-volatile give one manifest digest, and the
# files the list drops are in the layer without it.
#
# The Debian root filesystem (debootstrap, ~40 s, needs the Debian mirror) is
# kept as a tarball in $STRATA_BASE_CACHE (default build/cache), named by the
# day and by debian.sh's checksum, so the plain and the sanitizer runs of
# `make check` make it once.
. "$(dirname "$0")/lib.sh"
. "$top/tests/podman.sh"

port=15100 run_port=15101
if [ "$(id -u)" -ne 0 ]; then
	skip t5110 "needs root (debootstrap, RUN)"
	exit 0
fi
if ! need curl python3 podman; then
	skip t5110 "needs curl, python3 and podman"
	exit 0
fi
cache=${STRATA_BASE_CACHE:-$top/build/cache}
sum=$(cksum <"$top/examples/base/debian.sh" | cut -d' ' -f1)
tarball=$cache/debian-bookworm-$(date -u +%Y%m%d)-$sum.tar
if [ ! -s "$tarball" ] && ! PATH=$PATH:/usr/sbin:/sbin need debootstrap; then
	skip t5110 "needs debootstrap (./configure --install-deps) or $tarball"
	exit 0
fi
export SOURCE_DATE_EPOCH=0 PATH=$PATH:/usr/sbin:/sbin
mkdir -p "$cache" "$T/logs"

# 1. the base, made when missing (as the README's Quick start)
if sh "$top/examples/base/debian.sh" --tar "$tarball" >"$T/logs/base" 2>&1 &&
	$STRATA inspect debian:bookworm >/dev/null 2>&1; then
	ok t5110/base
else
	fail t5110/base "examples/base/debian.sh: $(tail -c 400 "$T/logs/base")"
	exit 0
fi

# RUN steps that ran (not cached) in a build's progress output
runs() { grep -c '^\[[0-9]*/[0-9]*\] RUN .*([0-9.]*s)$' "$1"; }

# 2. docker build -t my-app .
app=$T/app
cp -R "$top/examples/hello-flask" "$app"
if $STRATA build -t my-app "$app" >"$T/logs/build" 2>&1; then
	ok t5110/build
else
	fail t5110/build "$(tail -c 400 "$T/logs/build")"
	exit 0
fi
n=$(runs "$T/logs/build")
[ "$n" = 1 ] && ok t5110/build-ran-run || fail t5110/build-ran-run "$n RUN steps ran, want 1"

# 3. docker run -p 5000:5000 -d --name my-app --rm my-app; curl; docker stop my-app
# (podman's bridge network and -p work on this machine kind; where -p cannot,
# host networking with Flask on the same port, and the test says so)
serves() { # URL: the page says Hello, World! within 30 s
	i=0
	while [ $i -lt 60 ]; do
		curl -fsS "$1" >"$T/page" 2>/dev/null && break
		sleep 0.5
		i=$((i + 1))
	done
	grep -qx 'Hello, World!' "$T/page" 2>/dev/null
}
if podman_setup; then
	if $STRATA export my-app "oci-archive:$T/my-app.tar" >"$T/logs/load" 2>&1 &&
		podman load -i "$T/my-app.tar" >>"$T/logs/load" 2>&1; then
		ok t5110/podman-load
	else
		fail t5110/podman-load "$(tail -c 400 "$T/logs/load")"
	fi
	how="-p $port:5000"
	if ! podman run -p $port:5000 -d --name my-app --rm my-app >"$T/logs/podman" 2>&1; then
		podman rm -f my-app >/dev/null 2>&1
		how="--network host (-p failed: $(tail -n 1 "$T/logs/podman"))"
		podman run --network host -e FLASK_RUN_PORT=$port -d --name my-app --rm my-app >>"$T/logs/podman" 2>&1
	fi
	echo "# podman run $how"
	if podman ps --format '{{.Names}}' 2>/dev/null | grep -qx my-app; then
		ok t5110/podman-run
	else
		fail t5110/podman-run "$(tail -c 400 "$T/logs/podman")"
	fi
	if serves "http://127.0.0.1:$port/"; then
		ok t5110/podman-curl
	else
		fail t5110/podman-curl "got [$(head -c 200 "$T/page" 2>/dev/null)]; $(podman logs my-app 2>&1 | tail -n 3)"
	fi
	# flask as pid 1 ignores SIGTERM: docker stop's SIGKILL after the timeout ends it
	podman stop -t 2 my-app >>"$T/logs/podman" 2>&1
	if podman ps -a --format '{{.Names}}' 2>/dev/null | grep -qx my-app; then
		fail t5110/podman-stop "my-app still there after podman stop (--rm)"
		podman rm -f my-app >/dev/null 2>&1
	else
		ok t5110/podman-stop
	fi
	podman rmi -a -f >/dev/null 2>&1
else
	for c in podman-load podman-run podman-curl podman-stop; do skip t5110/$c "$podman_why"; done
fi

# 4. strata run serves it too (host network: strata run publishes no ports)
$STRATA run --rm --network host my-app flask run --host=127.0.0.1 --port=$run_port >"$T/logs/run" 2>&1 &
pid=$!
if serves "http://127.0.0.1:$run_port/"; then
	ok t5110/strata-run-curl
else
	fail t5110/strata-run-curl "got [$(head -c 200 "$T/page" 2>/dev/null)]; $(tail -c 300 "$T/logs/run")"
fi
kill -TERM $pid 2>/dev/null
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 40 ]; do sleep 0.25; i=$((i + 1)); done
if kill -0 $pid 2>/dev/null; then
	kill -KILL $pid 2>/dev/null
	fail t5110/strata-run-stop "strata run still running 10 s after SIGTERM"
elif grep -q "$STRATA_STORE" /proc/self/mountinfo; then
	fail t5110/strata-run-stop "mounts left: $(grep "$STRATA_STORE" /proc/self/mountinfo | head -n 2)"
else
	ok t5110/strata-run-stop
fi
wait $pid 2>/dev/null

# 5. edit the app, rebuild: the dependency layer is cached, only COPY runs
sed -i 's/Hello, World!/Hello, strata!/' "$app/main.py"
if $STRATA build -t my-app "$app" >"$T/logs/rebuild" 2>&1; then
	ok t5110/rebuild
else
	fail t5110/rebuild "$(tail -c 400 "$T/logs/rebuild")"
fi
n=$(runs "$T/logs/rebuild")
copies=$(grep -c '^\[[0-9]*/[0-9]*\] COPY main.py .*([0-9.]*s)$' "$T/logs/rebuild")
if [ "$n" = 0 ] && [ "$copies" = 1 ]; then
	ok t5110/rebuild-no-run
else
	fail t5110/rebuild-no-run "$n RUN steps ran (want 0), COPY ran $copies times (want 1)"
fi
if $STRATA run --rm --network none my-app cat /app/main.py 2>"$T/logs/cat" | grep -q 'Hello, strata!'; then
	ok t5110/rebuild-has-edit
else
	fail t5110/rebuild-has-edit "the rebuilt image lacks the edit: $(tail -c 300 "$T/logs/cat")"
fi

# 6. --drop-volatile: two --no-cache builds, one digest
# (once: under ASan+UBSan, make check's second pass, the two apt runs would
# add a minute; unit-volatile runs the list under the sanitizers)
if [ -n "${STRATA_SAN:-}" ]; then
	for c in drop-volatile-builds drop-volatile-same-digest volatile-in-plain-layer volatile-dropped; do
		skip t5110/$c "run in the plain pass of make check"
	done
	exit 0
fi
# (the manifest digests: -q prints the image ID, the config's digest)
digest() { $STRATA inspect -f '{{.Digest}}' "$1" 2>/dev/null; }
d1= d2=
$STRATA build -q --no-cache --drop-volatile -t my-app:volatile1 "$app" >/dev/null 2>"$T/logs/v1" && d1=$(digest my-app:volatile1)
$STRATA build -q --no-cache --drop-volatile -t my-app:volatile "$app" >/dev/null 2>"$T/logs/v2" && d2=$(digest my-app:volatile)
case "$d1 $d2" in
sha256:*" "sha256:*) ok t5110/drop-volatile-builds ;;
*) fail t5110/drop-volatile-builds "[$d1] [$d2] $(tail -c 300 "$T/logs/v1") $(tail -c 300 "$T/logs/v2")" ;;
esac
if [ -n "$d1" ] && [ "$d1" = "$d2" ]; then
	ok t5110/drop-volatile-same-digest
else
	fail t5110/drop-volatile-same-digest "manifest digests [$d1] and [$d2]"
fi
# the RUN layer (the second) of an image, as "path" lines
run_layer() { # NAME OUT
	rm -rf "$T/lay"
	$STRATA export "$1" "oci:$T/lay:x" >/dev/null 2>&1 &&
		python3 - "$T/lay" >"$2" <<'EOF'
import json, sys, tarfile
d = sys.argv[1]
idx = json.load(open(d + "/index.json"))
m = json.load(open(d + "/blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
with tarfile.open(d + "/blobs/sha256/" + m["layers"][1]["digest"][7:]) as t:
    for n in t.getnames():
        print(n)
EOF
}
vol='^var/log/dpkg.log$|^var/log/apt/history.log$|^var/cache/apt/pkgcache.bin$|^var/cache/ldconfig/aux-cache$'
run_layer my-app "$T/plain.list"
n=$(grep -cE "$vol" "$T/plain.list")
[ "$n" = 4 ] && ok t5110/volatile-in-plain-layer ||
	fail t5110/volatile-in-plain-layer "$n of the 4 volatile files in the RUN layer built without the flag"
run_layer my-app:volatile "$T/dropped.list"
n=$(grep -cE "$vol" "$T/dropped.list")
if [ -s "$T/dropped.list" ] && [ "$n" = 0 ] && grep -q '^usr/lib/python3/dist-packages/flask/' "$T/dropped.list"; then
	ok t5110/volatile-dropped
else
	fail t5110/volatile-dropped "$n volatile files left (or no flask) in the --drop-volatile RUN layer"
fi
exit 0
