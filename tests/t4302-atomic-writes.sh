#!/bin/sh
# checks: 9
# t4302: every file strata writes whole is durable before it is trusted (tool/atomic.c): under
# strace, each successful rename of a file follows an fsync of that file, and is followed by an
# fsync of the directory that holds the new name (without which a crash can lose the rename);
# a renamed directory is followed by an fsync of its parent. Export to each transport, import
# and tag are traced; a log with the directory fsync removed must fail the same check.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need strace python3 || { skip atomic-writes "needs strace and python3"; exit 0; }
# LeakSanitizer's exit scan ptraces the process, which strace already does
[ -n "${STRATA_SAN:-}" ] && export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
strace -f -o probe.log true 2>/dev/null || { skip atomic-writes "strace cannot trace here"; exit 0; }
# durable LOG: 0 when every rename in LOG is durable as above and there is at least one
cat >durable.py <<'PY'
import os, re, sys
log = open(sys.argv[1]).read().splitlines()
if len(sys.argv) > 2:  # the negative control: directory fsyncs left out
    log = [l for l in log if not (re.search(r'\bfsync\(\d+<([^>]*)>\)', l) and
                                  os.path.isdir(re.search(r'\bfsync\(\d+<([^>]*)>\)', l).group(1)))]
fsync = re.compile(r'\bf(?:data)?sync\(\d+<([^>]*)>\)\s+= 0')
rename = re.compile(r'\brename(?:at2?)?\((?:AT_FDCWD(?:<[^>]*>)?, )?"([^"]*)", (?:AT_FDCWD(?:<[^>]*>)?, )?"([^"]*)".*\)\s+= 0')
synced = [(i, m.group(1)) for i, l in enumerate(log) for m in [fsync.search(l)] if m]
bad, n = [], 0
for i, l in enumerate(log):
    m = rename.search(l)
    if not m:
        continue
    n += 1
    src, dst = os.path.abspath(m.group(1)), os.path.abspath(m.group(2))
    if not os.path.isdir(dst) and not any(j < i and p == src for j, p in synced):
        bad.append("%s: no fsync before the rename" % m.group(1))
    if not any(j > i and p == os.path.dirname(dst) for j, p in synced):
        bad.append("%s: no fsync of %s after the rename" % (m.group(2), os.path.dirname(dst)))
print("\n".join(bad) if bad else "%d renames, all durable" % n)
sys.exit(1 if bad or n == 0 else 0)
PY
python3 "$top/tests/ocimake.py" lay '[{"name":"a","data":"x"},{"name":"d/b","data":"yy"}]' >ids
# traced NAME CMD...: CMD succeeds under strace and every rename it made is durable
traced() {
	name=$1; shift
	if ! strace -f -y -o "$name.log" -e trace=fsync,fdatasync,rename,renameat,renameat2 "$@" >"$name.out" 2>"$name.err"; then
		fail "atomic:$name" "$* -> $(head -c 300 "$name.err")"
	elif python3 durable.py "$name.log" >"$name.why"; then
		ok "atomic:$name"
	else
		fail "atomic:$name" "$(head -c 300 "$name.why") (or no rename at all)"
	fi
}
traced import $S import oci:lay img:1
traced tag $S tag img:1 img:2
traced export-oci-new $S export img:1 oci:out-oci
traced export-oci-again $S export img:2 oci:out-oci:two
traced export-oci-archive $S export img:1 oci-archive:out.tar
traced export-docker-archive $S export img:1 docker-archive:out-d.tar
traced export-rootfs-tar $S export img:1 type=tar,dest=fs.tar
traced export-rootfs-dir $S export img:1 type=local,dest=fsdir
# the check can fail: the same log without its directory fsyncs
if python3 durable.py export-oci-archive.log drop-dir-fsyncs >lost.why; then
	fail atomic:lost-dir-fsync "a log without the directory fsyncs passed: $(cat lost.why)"
else
	ok atomic:lost-dir-fsync
fi
