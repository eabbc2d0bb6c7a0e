#!/bin/sh
# checks: 4
# ninja/meson: a Meson project that compiles a program and builds the image that COPYs it
# through strata gen --ninja; nothing changed runs no step, a changed program rebuilds from its
# COPY on, and the image equals strata build's
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/graph.sh"
p_setup() { meson setup build src -Dstrata="$S" && meson compile -C build; }
p_build() { meson compile -C build; }
graph_project meson build/images
