#!/bin/sh
# images.sh STRATA DOCKERFILE PROGRAM OUTPUT: run from Meson's build folder by meson.build
set -e
strata=$1 dockerfile=$2 program=$3 out=$(pwd)/$4
mkdir -p images/ctx
cmp -s "$program" images/ctx/hello || cp "$program" images/ctx/hello
cd images
"$strata" gen --ninja images.ninja -f "$dockerfile" -o "oci-archive:$out" ctx
ninja -f images.ninja
