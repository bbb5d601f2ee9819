#!/usr/bin/env bash
# Every test: set up, build, then the lit suite and unit tests (ctest) and
# the importer conformance run over the ONNX backend test data.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CLEAVE_BUILD_DIR:-$root/../cleave-build}
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cmake --build "$build" --target CleaveUnitTests -j "${CLEAVE_JOBS:-2}"
(cd "$build" && ctest --output-on-failure -j "${CLEAVE_JOBS:-2}")
"${PYTHON:-python3}" "$root/test/conformance/import_conformance.py" \
  --tools "$build/bin" --report "$build/conformance/import-report.md"
"${PYTHON:-python3}" "$root/test/conformance/numeric_conformance.py" \
  --tools "$build/bin" --report "$build/conformance/numeric-report.md"
