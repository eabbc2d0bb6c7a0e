#!/bin/sh
# checks: 7
# issue 6 acceptance: builds, imports, exports and gc killed at random moments (SIGKILL, SIGINT,
# SIGTERM; at least 100 kills, about a minute), then: every blob verifies, tmp/ is empty after
# `strata gc`, every tag still names an image that exports, and a rebuild (warm, then with
# --no-cache) gives the digest of a cold build in a fresh store.
. "$(dirname "$0")/lib.sh"
no_leak_check
S=$STRATA
cd "$T" || exit 1
need python3 sha256sum || { skip fault-kills "python3 or sha256sum missing"; exit 0; }
mkdir -p root/etc root/usr/lib ctx
echo hello >root/etc/motd
head -c 3000000 /dev/urandom >root/usr/lib/blob
for f in a b c; do head -c 2000000 /dev/urandom >ctx/$f; done
printf 'FROM base:1\nCOPY a /a\nLABEL x=y\nCOPY b c /bc/\nENV E=1\nCOPY --chown=1:1 c /c\n' >ctx/Dockerfile
$S import rootfs:"$T/root" base:1 >/dev/null && $S export base:1 oci:"$T/base-oci" &&
	$S export base:1 docker-archive:"$T/base.tar" || { fail setup "import failed"; exit 0; }
cold=$(STRATA_STORE="$T/cold" sh -c "$S import oci:'$T/base-oci' base:1 >/dev/null && $S build -q ctx") || { fail setup "cold build failed"; exit 0; }

python3 - "$S" "$T" <<'PY' >kills.out
import os, random, signal, subprocess, sys, time
S, T = sys.argv[1], sys.argv[2]
ops = [
    [S, "build", "-q", "--no-cache", "-t", "img:1", "ctx"],
    [S, "build", "-q", "-t", "img:2", "ctx"],
    [S, "import", "oci:" + T + "/base-oci", "base:1"],
    [S, "import", "docker-archive:" + T + "/base.tar", "base:2"],
    [S, "export", "base:1", "oci-archive:" + T + "/out/o.tar"],
    [S, "export", "base:1", "docker-archive:" + T + "/out/d.tar"],
    [S, "export", "base:1", "oci:" + T + "/out/dir"],
    [S, "gc"],
]
os.makedirs(T + "/out", exist_ok=True)
def dflt():
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)
rnd = random.Random(int(os.environ.get("STRATA_FAULT_SEED", "0")) or None)
kills = {"KILL": 0, "INT": 0, "TERM": 0}
byop = {}
start = time.time()
runs = 0
def more():
    n, t = sum(kills.values()), time.time() - start
    if t > 150:
        return False
    missing = any(not byop.get(k) for k in ("build", "import", "export", "gc"))
    return (n < 200 and t < 60) or n < 100 or (missing and t < 120)
while more():
    op = rnd.choice(ops)
    p = subprocess.Popen(op, cwd=T, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=dflt)
    runs += 1
    # gc is quick: killed early or never
    time.sleep(rnd.uniform(0, 0.03) if op[1] == "gc" else rnd.uniform(0.01, 0.12))
    sig = rnd.choice(["KILL", "KILL", "INT", "TERM"])
    if p.poll() is None:
        p.send_signal(getattr(signal, "SIG" + sig))
        kills[sig] += 1
        byop[op[1]] = byop.get(op[1], 0) + 1
    p.wait()
n = sum(kills.values())
print("# %d runs, %d kills in %.0f s: %s; by command: %s" % (runs, n, time.time() - start, kills, byop))
print(("ok" if n >= 100 else "FAIL") + " faults:100-kills" + ("" if n >= 100 else ": only %d" % n))
print(("ok" if all(byop.get(k) for k in ("build", "import", "export", "gc")) else "FAIL") +
      " faults:every-command-killed" + ("" if all(byop.get(k) for k in ("build", "import", "export", "gc")) else ": %s" % byop))
PY
cat kills.out
st=$STRATA_STORE
bad=$(cd "$st/blobs/sha256" && for f in *; do [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$f" ] || echo "$f"; done)
[ -z "$bad" ] && ok faults:blobs-verify || fail faults:blobs-verify "$bad"
check faults:gc $S gc
[ -z "$(ls -A "$st/tmp")" ] && ok faults:tmp-empty || fail faults:tmp-empty "$(ls -A "$st/tmp" | head -5)"
badtags=
for t in base:1 base:2 img:1 img:2; do
	$S inspect "$t" >/dev/null 2>&1 || continue
	$S export "$t" oci-archive:"$T/check.tar" 2>/dev/null || badtags="$badtags $t"
done
[ -z "$badtags" ] && ok faults:tags-export || fail faults:tags-export "$badtags"
warm=$($S build -q ctx 2>&1)
nocache=$($S build -q --no-cache ctx 2>&1)
[ "$warm" = "$cold" ] && [ "$nocache" = "$cold" ] && ok faults:rebuild-cold-digest || fail faults:rebuild-cold-digest "cold $cold warm $warm no-cache $nocache"
