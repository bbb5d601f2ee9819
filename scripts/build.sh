#!/usr/bin/env bash
# Configures and builds Cleave (Release, Ninja, ccache) in $CLEAVE_BUILD_DIR
# (default: ../cleave-build beside the source tree, outside git).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CLEAVE_BUILD_DIR:-$root/../cleave-build}
jobs=${CLEAVE_JOBS:-2}

# Configuring an existing build folder is quick and picks up changed
# CLEAVE_CMAKE_ARGS (for example -DCLEAVE_ENABLE_SANITIZERS=ON).
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  ${CLEAVE_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$jobs"
