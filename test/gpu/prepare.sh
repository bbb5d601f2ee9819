#!/usr/bin/env bash
# Prepares the folder that test/gpu/check.sh needs on the GPU machine, which
# has CUDA and Python but no LLVM/MLIR, oneDNN or OpenMPI: run it here, where
# the compiler is built, then carry the folder (see test/gpu/README.md).
#
#   bash test/gpu/prepare.sh [BUILD_DIR] [OUT_DIR]
#
# BUILD_DIR defaults to $CLEAVE_BUILD_DIR or ../cleave-build, OUT_DIR to .gpu
# in the repository root (git-ignored). OUT_DIR gets:
#   lib.tar.xz      lib/: the runtime libraries bundles link (libCleaveRuntime*.a,
#                   libdnnl.so.2), OpenMPI's runtime (lib/openmpi/: mpirun,
#                   the mpicxx wrapper and mpi.h, plugins, help files; its
#                   libraries beside the others) and
#                   lib/fallback/: system libraries they need, which check.sh
#                   uses only where the GPU machine lacks them.
#   bundles.tar.xz  node/, models/, pipeline/ (test/gpu/prepare_bundles.py)
#   prepared.json   what was prepared and the sizes
# It fails if OUT_DIR is over $CLEAVE_GPU_LIMIT_MB MiB (default 35): the
# carried paths and the repository travel together, at most 64 MiB. When over,
# the batch-8 benchmark bundles of the last precisions are dropped first
# (bf16, then tf32), with a warning.
#
# Other settings: CLEAVE_GPU_PRECISIONS (fp32,tf32,bf16), CLEAVE_GPU_JOBS (2),
# CLEAVE_GPU_NODE_FILTER (only node tests whose name contains it), and
# CLEAVE_GPU_TARGET (cuda; cpu makes CPU bundles with executables, to try
# check.sh's runners on a machine without a GPU).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-${CLEAVE_BUILD_DIR:-$ROOT/../cleave-build}}
OUT=${2:-$ROOT/.gpu}
TARGET=${CLEAVE_GPU_TARGET:-cuda}
PRECISIONS=${CLEAVE_GPU_PRECISIONS:-fp32,tf32,bf16}
LIMIT_MIB=${CLEAVE_GPU_LIMIT_MB:-35}
JOBS=${CLEAVE_GPU_JOBS:-2}

die() { echo "prepare.sh: error: $*" >&2; exit 1; }
warn() { echo "prepare.sh: warning: $*" >&2; }

[[ -x $BUILD/bin/cleave-compile && -x $BUILD/bin/cleave-run ]] ||
  die "no cleave-compile and cleave-run in $BUILD/bin (give the build folder)"
BUILD=$(cd "$BUILD" && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
if [[ $OUT == "$ROOT"/* ]] && ! git -C "$ROOT" check-ignore -q "$OUT"; then
  die "$OUT is inside the repository but not git-ignored"
fi
if [[ -n $(ls -A "$OUT") && ! -e $OUT/prepared.json && ! -e $OUT/lib.tar.xz ]]; then
  die "$OUT is not empty and not an earlier output of prepare.sh"
fi
rm -rf "${OUT:?}"/*
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/cleave-gpu-prepare.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT

# --- lib/ --------------------------------------------------------------------

LIB=$STAGE/lib
OMPI=$LIB/openmpi
mkdir -p "$LIB/fallback"
# Never carried: the C library and the compiler's, which every machine has
# (newer there). Kept beside the MPI libraries: the MPI stack, whose versions
# must match. Everything else goes to fallback/.
SYSTEM='^(linux-vdso|ld-linux-x86-64|libc|libm|libpthread|libdl|librt|libutil|libresolv|libstdc\+\+|libgcc_s)\.so'
MPI_STACK='^lib(mpi|mpi_cxx|open-pal|open-rte|mca_common_[a-z]+|pmix|hwloc|event[a-z_]*)[.-]'
# Network fabrics a one-node run does not use; plugins that need them stay.
FABRIC='^lib(ucp|uct|ucs|ucm|fabric|ibverbs|rdmacm|psm|infinipath|efa|nl-|oshmem|mca_common_(ucx|ofi|verbs))'

deps() { ldd "$1" | awk '$2 == "=>" { print $1, $3 }'; }

usable() {  # usable FILE: every library it needs is found and no fabric's
  local name path
  while read -r name path; do
    [[ $path == not || $name =~ $FABRIC ]] && return 1
  done < <(deps "$1")
  return 0
}

copy_deps() {  # copy_deps FILE: its libraries into lib/ or lib/fallback/
  local name path dest
  while read -r name path; do
    [[ $name =~ $SYSTEM ]] && continue
    [[ $path == not ]] && { warn "$1 needs $name, not found here"; continue; }
    dest=$LIB/fallback
    [[ $name =~ $MPI_STACK ]] && dest=$LIB
    [[ -e $dest/$name ]] || cp -L "$path" "$dest/$name"
  done < <(deps "$1")
}

soname() { readelf -d "$1" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p'; }

copy_shared() {  # copy_shared FILE DEVNAME: as its soname, DEVNAME links to it
  local name
  name=$(soname "$1")
  cp -L "$1" "$LIB/$name"
  [[ $2 == "$name" ]] || ln -sf "$name" "$LIB/$2"
  copy_deps "$1"
}

for a in libCleaveRuntime.a libCleaveRuntimeMpi.a; do
  [[ -f $BUILD/lib/Runtime/$a ]] || die "no $BUILD/lib/Runtime/$a"
  cp "$BUILD/lib/Runtime/$a" "$LIB/"
done
for a in libCleaveRuntimeCuda.a libCleaveRuntimeCudaMpi.a; do
  if [[ -f $BUILD/lib/Runtime/Cuda/$a ]]; then
    cp "$BUILD/lib/Runtime/Cuda/$a" "$LIB/"
  elif [[ $TARGET == cuda ]]; then
    die "no $BUILD/lib/Runtime/Cuda/$a (a build without CUDA?)"
  fi
done

system_lib() { ldconfig -p | awk -v n="$1" '$1 == n && !f { print $NF; f = 1 }'; }

DNNL=$(system_lib libdnnl.so.2)
[[ -n $DNNL ]] || DNNL=/usr/lib/x86_64-linux-gnu/libdnnl.so.2
[[ -e $DNNL ]] || die "no libdnnl.so.2 (oneDNN) here"
copy_shared "$DNNL" libdnnl.so

if command -v mpirun >/dev/null && command -v ompi_info >/dev/null; then
  ompi_path() { ompi_info --path "$1" | awk '{ print $2 }'; }
  mkdir -p "$OMPI/bin" "$OMPI/lib/openmpi" "$OMPI/lib/pmix" \
    "$OMPI/share/openmpi" "$OMPI/share/pmix" "$OMPI/etc" "$OMPI/include"
  MPIRUN=$(readlink -f "$(command -v mpirun)")   # Debian: orterun
  cp "$MPIRUN" "$OMPI/bin/"
  copy_deps "$MPIRUN"
  [[ $(basename "$MPIRUN") == mpirun ]] ||
    ln -s "$(basename "$MPIRUN")" "$OMPI/bin/mpirun"
  if [[ -x $(dirname "$MPIRUN")/orted ]]; then
    cp "$(dirname "$MPIRUN")/orted" "$OMPI/bin/"
    copy_deps "$OMPI/bin/orted"
  fi
  # The compiler wrappers (multi-device build.sh links with nvcc -ccbin
  # mpicxx) and the headers they point to.
  if [[ -x $(dirname "$MPIRUN")/opal_wrapper ]]; then
    cp "$(dirname "$MPIRUN")/opal_wrapper" "$OMPI/bin/"
    copy_deps "$OMPI/bin/opal_wrapper"
    for w in mpicxx mpic++ mpicc; do ln -s opal_wrapper "$OMPI/bin/$w"; done
  fi
  (cd "$(ompi_path incdir)" && find . -name '*.h' -exec cp --parents {} "$OMPI/include/" \;)
  libdir=$(ompi_path libdir)
  copy_shared "$libdir/libmpi.so" libmpi.so
  if [[ -e $libdir/libmpi_cxx.so ]]; then
    copy_shared "$libdir/libmpi_cxx.so" libmpi_cxx.so
  fi
  dropped=0
  for plugin in "$(ompi_path pkglibdir)"/*.so; do
    if usable "$plugin"; then
      cp "$plugin" "$OMPI/lib/openmpi/"
      copy_deps "$plugin"
    else
      dropped=$((dropped + 1))
    fi
  done
  echo "OpenMPI plugins: $(find "$OMPI/lib/openmpi" -name '*.so' | wc -l) carried," \
    "$dropped left out (fabrics)"
  find "$(ompi_path pkgdatadir)" -maxdepth 1 -type f \
    -exec cp {} "$OMPI/share/openmpi/" \;
  conf=$(ompi_path sysconfdir)/openmpi-mca-params.conf
  if [[ -f $conf ]]; then cp "$conf" "$OMPI/etc/"; fi
  # PMIx (OpenMPI 4 uses the system's): its plugins and help files.
  if [[ -e $LIB/libpmix.so.2 ]]; then
    pmix=$(dirname "$(readlink -f "$(system_lib libpmix.so.2)")")
    for plugin in "$pmix"/pmix/*.so; do
      if [[ -e $plugin ]] && usable "$plugin"; then
        cp "$plugin" "$OMPI/lib/pmix/"
        copy_deps "$plugin"
      fi
    done
    if [[ -d $pmix/../share/pmix ]]; then
      cp -r "$pmix"/../share/pmix/. "$OMPI/share/pmix/"
    fi
  fi
else
  warn "no OpenMPI (mpirun, ompi_info) here: check.sh will skip the pipeline"
fi
chmod -R u+w "$LIB"
echo "lib/: $(du -sh --apparent-size "$LIB" | cut -f1) before compression"
tar -C "$STAGE" --sort=name -cf - lib | xz --x86 --lzma2=preset=9 -T1 >"$OUT/lib.tar.xz"

# --- node/, models/, pipeline/ ------------------------------------------------

python3 "$ROOT/test/gpu/prepare_bundles.py" --tools "$BUILD/bin" \
  --out "$STAGE/bundles" --target "$TARGET" --jobs "$JOBS" \
  --filter "${CLEAVE_GPU_NODE_FILTER:-}" --precisions "$PRECISIONS"

pack() {
  # Models first, then the pipeline (its weights repeat gpt2_lm's: xz -9's
  # 64 MiB window finds them), then the node tests. pb=2 and lp=2 suit
  # arrays of 4-byte floats (5% smaller).
  tar -C "$STAGE/bundles" --sort=name -cf - models pipeline training node |
    xz --lzma2=preset=9,lc=0,lp=2,pb=2 -T1 >"$OUT/bundles.tar.xz"
}
size() { du -cb "$@" | tail -1 | cut -f1; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

pack
IFS=, read -r -a carried <<<"$PRECISIONS"
while (($(size "$OUT"/*) > LIMIT_MIB * 1048576)) && ((${#carried[@]} > 1)); do
  drop=${carried[-1]}
  unset 'carried[-1]'
  warn "$(mib "$(size "$OUT"/*)") MiB is over $LIMIT_MIB MiB: dropping the" \
    "$drop benchmark bundles"
  rm -rf "$STAGE"/bundles/models/*/b*-"$drop"
  pack
done

python3 - "$OUT" "$TARGET" "$(IFS=,; echo "${carried[*]}")" \
  "$STAGE/bundles/node/prepared.json" "$(git -C "$ROOT" describe --always --dirty)" <<'EOF'
import json, os, sys, time
out, target, precisions, node, commit = sys.argv[1:]
with open(node) as f:
    node = json.load(f)
sizes = {f: os.path.getsize(os.path.join(out, f)) for f in sorted(os.listdir(out))}
with open(os.path.join(out, "prepared.json"), "w") as f:
    json.dump({"target": target, "commit": commit,
               "date": time.strftime("%Y-%m-%d %H:%M:%S"),
               "bench_precisions": precisions.split(","),
               "node_tests": node["tests"], "node_cpu_passed": node["cpu_passed"],
               "node_prepared": len(node["prepared"]),
               "node_compile_errors": len(node["compile_errors"]),
               "node_left_out": [e["test"] for e in node["left_out"]],
               "sizes": sizes}, f, indent=1)
EOF

total=$(size "$OUT"/*)
for f in "$OUT"/*; do
  printf '%-16s %7s MiB\n' "$(basename "$f")" "$(mib "$(size "$f")")"
done
echo "total: $(mib "$total") MiB in $OUT (limit $LIMIT_MIB MiB);" \
  "benchmark precisions: $(IFS=,; echo "${carried[*]}")"
((total <= LIMIT_MIB * 1048576)) ||
  die "$OUT is over $LIMIT_MIB MiB even without the benchmark's other precisions"
