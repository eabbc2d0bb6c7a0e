#!/bin/sh
# checks: 241
# t5100-diff-run: each RUN case of examples/diff-run/ (deletions, opaque
# directories, renames, hard links, symlinks, chmod/chown, USER, SHELL, exec
# form, heredocs, multi-stage COPY --from of RUN output, ...) built by buildah
# (chroot isolation, the reference) and by strata on the examples/base busybox
# base; root filesystems and configs compared by t4000's machinery, after
# removing the empty /etc/hosts, /etc/resolv.conf and /etc/hostname that
# buildah leaves for its bind mounts. DIFF_CASES and STRATA_KEEP_TMP as t4000.
DIFF_DIR=examples/diff-run DIFF_NAME=t5100 exec sh "$(dirname "$0")/t4000-differential.sh"
