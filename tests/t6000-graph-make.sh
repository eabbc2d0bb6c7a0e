#!/bin/sh
# checks: 20
# strata gen --make: every instruction a Make target; content, not mtimes, decides what runs
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/graph.sh"
S=$STRATA
cd "$T" || exit 1
need make skopeo || { skip graph-make "make or skopeo missing"; exit 0; }
graph_suite make
