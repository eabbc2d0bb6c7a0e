#!/bin/sh
# checks: 4
# ninja/cmake: a CMake project (Ninja generator) that compiles a program and builds the image
# that COPYs it through strata gen --ninja; nothing changed runs no step, a changed program
# rebuilds from its COPY on, and the image equals strata build's
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/graph.sh"
p_setup() { cmake -S src -B build -G Ninja -DSTRATA="$S" && cmake --build build; }
p_build() { cmake --build build; }
graph_project cmake build
