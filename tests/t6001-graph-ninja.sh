#!/bin/sh
# checks: 20
# strata gen --ninja: every instruction a Ninja edge; content, not mtimes, decides what runs
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/graph.sh"
S=$STRATA
cd "$T" || exit 1
need ninja skopeo || { skip graph-ninja "ninja or skopeo missing"; exit 0; }
graph_suite ninja
