#!/usr/bin/env bash
# Checks Cleave's CUDA target on the GPU machine, from the repository root,
# with the folder that test/gpu/prepare.sh made (.gpu) carried:
#
#   bash test/gpu/check.sh
#
# Steps, each in its own process with a time limit; a step that fails or
# runs out of time is recorded and the next one runs:
#   unpack    lib.tar.xz and bundles.tar.xz into $CLEAVE_GPU_WORK; writes the
#             environment (library paths, OpenMPI's relocation) to env.sh
#   env       nvidia-smi, nvcc, Python packages, an mpirun probe
#   build     every bundle's build.sh, $CLEAVE_GPU_JOBS at a time
#   node      the ONNX node tests (test/gpu/run_node_tests.py)
#   models    the real models at batch 2, fp32, against onnxruntime and the
#             CPU target (test/gpu/run_models.py models)
#   pipeline  gpt2_lm on 2 devices sharing the GPU, MPI transport
#             (test/gpu/run_models.py pipeline)
#   training  10 training steps of test/training's models (one on 2
#             replicas) against PyTorch (test/gpu/run_models.py training)
#   bench     bench/gpu_vs_pytorch.py over the batch-8 bundles
#   sanitize  gpt2_lm and resnet50 under compute-sanitizer's memcheck
# Results: $OUT/gpu-results.json (rewritten after every step) and
# $OUT/gpu-check.log; build-gpu/ in the repository root when OUT is unset.
# Exits 1 unless every step is ok.
#
# Settings: CLEAVE_GPU_DIR (.gpu), CLEAVE_GPU_WORK (/tmp/cleave-gpu),
# CLEAVE_GPU_BUDGET_S (475: all steps together), CLEAVE_GPU_JOBS (16),
# CLEAVE_CUDA_ARCH (90), CLEAVE_GPU_TORCH_DEVICE (cuda; cpu for a dry run
# with CPU bundles).
# shellcheck disable=SC2317  # the steps are called as "step_$2"
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
GPU=${CLEAVE_GPU_DIR:-$ROOT/.gpu}
WORK=${CLEAVE_GPU_WORK:-/tmp/cleave-gpu}
STEPS=$WORK/steps
JOBS=${CLEAVE_GPU_JOBS:-16}
export CLEAVE_CUDA_ARCH=${CLEAVE_CUDA_ARCH:-90}

# --- Steps (each runs as `check.sh --step NAME`, STEP_BOX seconds) -----------

untar() {  # untar ARCHIVE: into $WORK, with Python's tarfile if no xz
  tar -C "$WORK" -xJf "$1" 2>/dev/null || python3 -c 'import sys, tarfile
tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$WORK"
}

step_unpack() {
  rm -rf "${WORK:?}"/{lib,models,pipeline,node,training} "$WORK/env.sh"
  untar "$GPU/lib.tar.xz" || return
  untar "$GPU/bundles.tar.xz" || return
  local lib=$WORK/lib known f cuda pip
  # System libraries come from the system where it has them.
  known=$(ldconfig -p)
  for f in "$lib"/fallback/*; do
    if grep -q "^[[:space:]]$(basename "$f") " <<<"$known"; then
      rm "$f"
    else
      echo "using the carried $(basename "$f")"
    fi
  done
  cuda=$(dirname "$(dirname "$(readlink -f "$(command -v nvcc ||
    echo /usr/local/cuda/bin/nvcc)")")")
  # The pip wheels' CUDA libraries (cuDNN, NCCL, cuBLAS ...): nvidia/*/lib.
  pip=$(python3 -c '
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
try:
    import nvidia
    roots += [os.path.dirname(p) for p in nvidia.__path__]
except ImportError:
    pass
for kind in ("lib", "include"):
    found = {os.path.realpath(d) for r in roots
             for d in glob.glob(os.path.join(r, "nvidia", "*", kind))}
    print(":".join(sorted(found)))')
  local pip_lib pip_include
  { read -r pip_lib; read -r pip_include; } <<<"$pip"
  local paths=$lib:$lib/fallback:$cuda/lib64${pip_lib:+:$pip_lib}
  local ompi=$lib/openmpi d dirs links=()
  IFS=: read -r -a dirs <<<"$pip_lib"
  for d in "${dirs[@]}"; do links+=("-L$d"); done
  {
    echo "export CLEAVE_LIB_DIR=$(printf %q "$lib")"
    echo "export CLEAVE_INCLUDE_DIR=$(printf %q "$ROOT/include")"
    echo "export CLEAVE_NVCC=$(printf %q "$cuda/bin/nvcc")"
    # build.sh's extra -L folders: cuDNN, NCCL (and cuBLAS) from the wheels.
    echo "export CLEAVE_LINK_FLAGS=$(printf %q "${links[*]}")"
    echo "export LD_LIBRARY_PATH=$(printf %q "$paths")\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
    echo "export LIBRARY_PATH=$(printf %q "$paths")\${LIBRARY_PATH:+:\$LIBRARY_PATH}"
    echo "export CPATH=$(printf %q "$pip_include")\${CPATH:+:\$CPATH}"
    echo "export PATH=$(printf %q "$ompi/bin:$cuda/bin"):\$PATH"
    if [[ -d $ompi ]]; then  # OpenMPI and PMIx, relocated.
      for v in PREFIX EXEC_PREFIX; do echo "export OPAL_$v=$(printf %q "$ompi")"; done
      echo "export OPAL_BINDIR=$(printf %q "$ompi/bin") OPAL_LIBDIR=$(printf %q "$lib")"
      echo "export OPAL_PKGLIBDIR=$(printf %q "$ompi/lib/openmpi")"
      echo "export OMPI_MCA_mca_base_component_path=$(printf %q "$ompi/lib/openmpi")"
      echo "export OPAL_DATAROOTDIR=$(printf %q "$ompi/share") OPAL_DATADIR=$(printf %q "$ompi/share")"
      echo "export OPAL_PKGDATADIR=$(printf %q "$ompi/share/openmpi")"
      echo "export OPAL_SYSCONFDIR=$(printf %q "$ompi/etc")"
      echo "export OPAL_INCLUDEDIR=$(printf %q "$ompi/include")"
      echo "export OPAL_PKGINCLUDEDIR=$(printf %q "$ompi/include/openmpi")"
      echo "export PMIX_PREFIX=$(printf %q "$ompi") PMIX_PKGLIBDIR=$(printf %q "$ompi/lib/pmix")"
      echo "export PMIX_MCA_mca_base_component_path=$(printf %q "$ompi/lib/pmix")"
      echo "export PMIX_PKGDATADIR=$(printf %q "$ompi/share/pmix")"
      echo "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
      # One node: no ssh, shared memory without kernel-assisted copies.
      echo "export OMPI_MCA_plm=isolated OMPI_MCA_rmaps_base_oversubscribe=1"
      echo "export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none"
    fi
  } >"$WORK/env.sh"
  cat "$WORK/env.sh"
}

step_env() {
  nvidia-smi
  nvcc --version
  python3 "$ROOT/test/gpu/results.py" env "$STEPS/env.json"
}

step_build() {
  local list=() b
  local -A seen
  # The models and the pipeline first: the node tests are many.
  for b in "$WORK"/pipeline/bundle "$WORK"/training/*/bundle \
    "$WORK"/models/*/b2-fp32 "$WORK"/models/*/b*-* "$WORK"/node/*; do
    if [[ -f $b/build.sh && -z ${seen[$b]:-} ]]; then
      seen[$b]=1
      list+=("$b/build.sh")
    fi
  done
  echo "${#list[@]} bundles to build, $JOBS at a time (sm_$CLEAVE_CUDA_ARCH)"
  # No time limit per build: the step's, less time to summarise, stops all.
  # shellcheck disable=SC2016
  if ((${#list[@]})); then
    printf '%s\0' "${list[@]}" |
      timeout -k 5 $((STEP_BOX - 15)) xargs -0 -P "$JOBS" -n 1 bash -c \
        'cd "$(dirname "$1")" && { bash build.sh >build.log 2>&1; echo $? >build.rc; }' _
  fi
  python3 "$ROOT/test/gpu/results.py" build "$WORK" "$STEPS/build.json"
}

step_node() {
  python3 "$ROOT/test/gpu/run_node_tests.py" --root "$WORK/node" --jobs "$JOBS" \
    --timeout 60 --budget $((STEP_BOX - 10)) --json "$STEPS/node.json"
}

step_models() {
  python3 "$ROOT/test/gpu/run_models.py" models --root "$WORK/models" \
    --timeout 30 --json "$STEPS/models.json"
}

step_pipeline() {
  python3 "$ROOT/test/gpu/run_models.py" pipeline --root "$WORK/pipeline" \
    --timeout $((STEP_BOX - 15)) --json "$STEPS/pipeline.json"
}

step_training() {
  python3 "$ROOT/test/gpu/run_models.py" training --root "$WORK/training" \
    --timeout 60 --json "$STEPS/training.json"
}

step_sanitize() {
  python3 "$ROOT/test/gpu/run_models.py" sanitize --root "$WORK/models" \
    --timeout $(((STEP_BOX - 10) / 2)) --json "$STEPS/sanitize.json"
}

step_bench() {
  python3 "$ROOT/bench/gpu_vs_pytorch.py" --bundles "$WORK/models" \
    --device "${CLEAVE_GPU_TORCH_DEVICE:-cuda}" --budget $((STEP_BOX - 30)) \
    --json "$STEPS/bench.json"
}

if [[ ${1:-} == --step ]]; then
  if [[ -f $WORK/env.sh ]]; then
    # shellcheck disable=SC1091
    source "$WORK/env.sh"
  fi
  "step_$2"
  exit
fi

# --- Driver --------------------------------------------------------------------

RESULTS=${OUT:-$ROOT/build-gpu}
mkdir -p "$RESULTS" "$WORK"
rm -rf "$STEPS"
mkdir -p "$STEPS"
LOG=$RESULTS/gpu-check.log
: >"$LOG"
DEADLINE=$(($(date +%s) + ${CLEAVE_GPU_BUDGET_S:-475}))

run_step() {  # run_step NAME SECONDS: at most SECONDS, and not past DEADLINE
  local name=$1 box=$2 left start rc
  left=$((DEADLINE - $(date +%s)))
  ((box > left)) && box=$left
  if ((box < 20)); then
    echo "=== $name: skipped, out of time" | tee -a "$LOG"
    echo "skip 0 $box" >"$STEPS/$name.status"
  else
    echo "=== $name (at most ${box}s)" | tee -a "$LOG"
    start=$(date +%s)
    STEP_BOX=$box timeout -k 10 "$box" bash "$ROOT/test/gpu/check.sh" --step "$name" \
      2>&1 | tee "$STEPS/$name.log" | tee -a "$LOG"
    rc=${PIPESTATUS[0]}
    echo "$rc $(($(date +%s) - start)) $box" >"$STEPS/$name.status"
    echo "=== $name: exit $rc after $(($(date +%s) - start))s" | tee -a "$LOG"
  fi
  python3 "$ROOT/test/gpu/results.py" merge "$STEPS" "$GPU/prepared.json" \
    "$RESULTS/gpu-results.json"
}

if [[ ! -f $GPU/lib.tar.xz || ! -f $GPU/bundles.tar.xz ]]; then
  echo "check.sh: no $GPU/lib.tar.xz or bundles.tar.xz: run test/gpu/prepare.sh" \
    "and carry .gpu" | tee -a "$LOG"
fi
run_step unpack 20
run_step env 20
run_step build 140
run_step node 100
run_step models 40
run_step pipeline 35
run_step training 30
run_step bench 80
run_step sanitize 40
echo "=== summary"
python3 "$ROOT/test/gpu/results.py" summary "$RESULTS/gpu-results.json"
rc=$?
echo "results: $RESULTS/gpu-results.json, log: $LOG"
exit "$rc"
