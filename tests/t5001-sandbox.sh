#!/bin/sh
# checks: 18
# t5001-sandbox: what a RUN cannot do (read the host's files, mount, see the
# host's processes, change the host name, reach the host's loopback on the
# default network, reach anything with --network=none), docker's capability
# set, no_new_privs and seccomp; and bad input: a failing command, a missing
# SHELL or USER, an interrupted build, background processes left behind:
# one-line errors, no mount left (findmnt), no process left, no result.
. "$(dirname "$0")/lib.sh"
run_needs t5001 python3 findmnt
mkdir -p root/bin root/etc root/tmp
cp "$bb" root/bin/busybox
for a in $("$bb" --list); do [ -e "root/bin/$a" ] || ln -s busybox "root/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >root/etc/passwd
printf 'root:x:0:\n' >root/etc/group
$S import rootfs:"$T/root" base:1 >/dev/null || { fail t5001/setup "import of the base failed"; exit 0; }

mkdir ctx
# r NAME [BUILD FLAGS] 'RUN LINE': build FROM base:1 + the line; its exit status
r() {
	name=$1; shift
	line=$(eval echo \"\${$#}\")
	printf 'FROM base:1\n%s\n' "$line" >"ctx/Dockerfile.$name"
	n=$(($# - 1))
	flags=""
	while [ "$n" -gt 0 ]; do flags="$flags $1"; shift; n=$((n - 1)); done
	# shellcheck disable=SC2086
	$S build -q --no-cache $flags -f "ctx/Dockerfile.$name" ctx >"$name.out" 2>"$name.err"
}
# y/n NAME WHAT: the last build succeeded / failed
y() { if [ "$rc" = 0 ]; then ok "t5001/$1"; else fail "t5001/$1" "$2: $(head -c 300 "$1.err")"; fi; }
n() { if [ "$rc" != 0 ]; then ok "t5001/$1"; else fail "t5001/$1" "$2"; fi; }

echo host-secret >"$T/host-file"
r host-file --network=none "RUN cat $T/host-file || cat /proc/1/root$T/host-file"; rc=$?; n host-file "a RUN read $T/host-file"
r mount --network=none "RUN mount -t tmpfs t /mnt"; rc=$?; n mount "a RUN mounted a tmpfs"
r unshare --network=none "RUN unshare -m true"; rc=$?; n unshare "a RUN made a namespace"
sleep 1000 &
sleeper=$!
r procs --network=none "RUN test \$(ls -d /proc/[0-9]* | wc -l) -le 8 && ! grep -l 'slee[p]' /proc/[0-9]*/cmdline"; rc=$?; y procs "host processes visible"
kill $sleeper
before=$(hostname)
r hostname --network=none "RUN hostname evil"; rc=$?; n hostname "a RUN changed the host name"
[ "$(hostname)" = "$before" ] && ok t5001/hostname-kept || fail t5001/hostname-kept "host name now $(hostname)"
r caps --network=none "RUN grep -q 'CapEff:.*00000000a80425fb' /proc/self/status && grep -q 'NoNewPrivs:.*1' /proc/self/status && grep -q 'Seccomp:.*2' /proc/self/status"
rc=$?; y caps "capabilities, no_new_privs or seccomp"

# the host's loopback: a server on 127.0.0.1 that the host network reaches and the default one does not
python3 -m http.server --bind 127.0.0.1 15000 >/dev/null 2>&1 &
srv=$!
for i in 1 2 3 4 5 6 7 8 9 10; do python3 -c 'import socket; socket.create_connection(("127.0.0.1", 15000))' 2>/dev/null && break; sleep 0.3; done
r host-network --network=host "RUN timeout 5 wget -q -O /dev/null http://127.0.0.1:15000/"; rc=$?; y host-network "the host network could not reach the server"
if need slirp4netns; then
	r default-no-host-loopback "RUN timeout 5 wget -q -O /dev/null http://10.0.2.2:15000/ || timeout 5 wget -q -O /dev/null http://127.0.0.1:15000/"; rc=$?
	n default-no-host-loopback "the default network reached the host's loopback"
	r default-network-up "RUN grep -q tap0 /proc/net/dev && grep -q 10.0.2.3 /etc/resolv.conf"; rc=$?; y default-network-up "no tap0"
else
	skip t5001/default-no-host-loopback "no slirp4netns"
	skip t5001/default-network-up "no slirp4netns"
fi
r none-no-network --network=none "RUN timeout 5 wget -q -O /dev/null http://10.0.2.2:15000/ || timeout 5 wget -q -O /dev/null http://127.0.0.1:15000/"; rc=$?
n none-no-network "--network=none reached the server"
kill $srv

# bad input: one line, no mount, no process, no result
mounts() { findmnt -rn -o TARGET | grep -c "$STRATA_STORE"; }
clean() { # NAME: nothing of the failed build left
	m=$(mounts); t=$(ls "$STRATA_STORE/tmp" | wc -l); p=$(pgrep -f "sleep 999" | wc -l)
	if [ "$m" = 0 ] && [ "$t" = 0 ] && [ "$p" = 0 ]; then ok "t5001/$1-clean"; else fail "t5001/$1-clean" "$m mounts, $t tmp entries, $p processes left"; fi
}
printf 'FROM base:1\nRUN echo one; echo two; echo three >&2; exit 7\n' >ctx/Dockerfile.fail
check_err t5001/fail "strata: ctx/Dockerfile.fail:2:1: RUN exited with status 7; last output: one | two | three" \
	$S build -q --network=none -f ctx/Dockerfile.fail ctx
printf 'FROM base:1\nSHELL ["/bin/nosuch", "-c"]\nRUN true\n' >ctx/Dockerfile.shell
check_err t5001/no-shell "strata: ctx/Dockerfile.shell:3:1: cannot run /bin/nosuch: No such file or directory" \
	$S build -q --network=none -f ctx/Dockerfile.shell ctx
printf 'FROM base:1\nUSER nobody\nRUN true\n' >ctx/Dockerfile.user
check_err t5001/no-user "strata: ctx/Dockerfile.user:3:1: unable to find user nobody: no matching entries in etc/passwd" \
	$S build -q --network=none -f ctx/Dockerfile.user ctx
# background processes are killed when the command ends, as docker does
printf 'FROM base:1\nRUN sleep 999 >/dev/null 2>&1 &\n' >ctx/Dockerfile.bg
$S build -q --network=none -f ctx/Dockerfile.bg ctx >/dev/null 2>bg.err
clean background
# SIGINT during a RUN: the step's processes killed, its mounts gone, no result
printf 'FROM base:1\nRUN sleep 999\n' >ctx/Dockerfile.int
$S build -q --network=none -f ctx/Dockerfile.int ctx >int.out 2>int.err &
b=$!
for i in 1 2 3 4 5 6 7 8 9 10; do pgrep -f "sleep 999" >/dev/null && break; sleep 0.3; done
kill -INT $b
wait $b
rc=$?
if [ "$rc" = 1 ] && grep -q "interrupted" int.err; then ok t5001/interrupt; else fail t5001/interrupt "exit $rc: $(cat int.err)"; fi
clean interrupt

# slirp4netns missing: the default network says so and names the other two
printf 'FROM base:1\nRUN true\n' >ctx/Dockerfile.noslirp
check_err t5001/no-slirp "strata: ctx/Dockerfile.noslirp:2:1: the default network needs slirp4netns, which is not installed (apt-get install slirp4netns); --network=none has no network, --network=host the host's" \
	env PATH=/nonexistent "$S" build -q --no-cache -f ctx/Dockerfile.noslirp ctx
