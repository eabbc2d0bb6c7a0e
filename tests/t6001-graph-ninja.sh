#!/bin/sh
# checks: 20
# strata gen --ninja: every instruction a Ninja edge; content, not mtimes, decides what runs
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/graph.sh"
graph_suite ninja
