#!/bin/sh
# checks: 20
# strata gen --make: every instruction a Make target; content, not mtimes, decides what runs
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/graph.sh"
graph_suite make
