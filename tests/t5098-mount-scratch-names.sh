#!/bin/sh
# checks: 3
# t5098-mount-scratch-names: one RUN with several mounts that each need a
# scratch file or directory (secrets with a target, writable binds of
# directories, writable binds of files of the same name) gets one per mount.
. "$(dirname "$0")/lib.sh"
run_needs t5098
busybox_base t5098
B() { $S build -q --network=none "$@"; }
mkdir -p ctx/a ctx/b && echo A >ctx/a/x && echo B >ctx/b/x
printf 'one' >s1 && printf 'two' >s2
printf 'FROM base:1\nRUN --mount=type=secret,id=s1,target=/k1 --mount=type=secret,id=s2,target=/k2 cat /k1 /k2 >/got\n' >ctx/Dockerfile.s
if B --secret id=s1,src="$T/s1" --secret id=s2,src="$T/s2" -f ctx/Dockerfile.s ctx >s.out 2>s.err; then
	ok t5098/two-secret-files
else
	fail t5098/two-secret-files "$(head -c 300 s.err)"
fi
printf 'FROM base:1\nRUN --mount=type=bind,source=a,target=/ma,rw --mount=type=bind,source=b,target=/mb,rw cat /ma/x /mb/x >/got\n' >ctx/Dockerfile.d
if B -f ctx/Dockerfile.d ctx >d.out 2>d.err; then ok t5098/two-rw-dirs; else fail t5098/two-rw-dirs "$(head -c 300 d.err)"; fi
printf 'FROM base:1\nRUN --mount=type=bind,source=a/x,target=/fa,rw --mount=type=bind,source=b/x,target=/fb,rw cat /fa /fb >/got\n' >ctx/Dockerfile.f
if B -f ctx/Dockerfile.f ctx >f.out 2>f.err; then ok t5098/two-rw-files; else fail t5098/two-rw-files "$(head -c 300 f.err)"; fi
