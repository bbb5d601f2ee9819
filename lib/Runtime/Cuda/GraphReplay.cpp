//===- GraphReplay.cpp - runs a program as a captured CUDA graph ----------===//
//
// A device program is a fixed sequence of kernel launches on one stream, so
// after its first (eager) run, which finds cuDNN algorithms, converts
// weights and sizes the workspace, it is captured once into a CUDA graph
// and replayed: one launch per run instead of one per op. One graph per set
// of buffers (microbatches read different slices). Programs that run
// kernels on the host (the host fallback) or move tensors between devices
// stay eager, and so does everything once a capture fails. Set
// CLEAVE_CUDA_GRAPHS=0 to run eagerly always.
//
//===----------------------------------------------------------------------===//

#include "CudaContext.h"
#include "CudaDevice.h"
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <vector>

namespace cleave::cuda {
namespace {

struct Graphs {
  bool disabled = false;
  std::set<std::vector<const void *>> seen;
  std::map<std::vector<const void *>, cudaGraphExec_t> ready;
};

Graphs &graphs() {
  static Graphs g = [] {
    Graphs g;
    const char *setting = std::getenv("CLEAVE_CUDA_GRAPHS");
    g.disabled = setting && std::strcmp(setting, "0") == 0;
    return g;
  }();
  return g;
}

cleave_status eager(const cleave_program &program, char *arena,
                    const char *weights, const cleave_tensor *inputs,
                    const cleave_tensor *outputs) {
  int64_t before = cleave_cuda_fallback_count();
  cleave_status s = program.run(arena, weights, inputs, outputs);
  if (cleave_cuda_fallback_count() != before)
    graphs().disabled = true; // Host work cannot be captured.
  return s;
}

/// Captures one run; nullptr when capturing failed (the run then has not
/// happened).
cudaGraphExec_t capture(const cleave_program &program, char *arena,
                        const char *weights, const cleave_tensor *inputs,
                        const cleave_tensor *outputs) {
  if (cudaStreamBeginCapture(stream(), cudaStreamCaptureModeThreadLocal) !=
      cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  cleave_status s = program.run(arena, weights, inputs, outputs);
  cudaGraph_t graph = nullptr;
  cudaError_t e = cudaStreamEndCapture(stream(), &graph);
  cudaGraphExec_t exec = nullptr;
  if (!s && e == cudaSuccess && graph &&
      cudaGraphInstantiate(&exec, graph, 0) != cudaSuccess)
    exec = nullptr;
  if (graph)
    cudaGraphDestroy(graph);
  if (s)
    cleave_status_free(s);
  cudaGetLastError(); // A failed capture leaves a sticky launch error.
  return exec;
}

} // namespace

cleave_status runProgram(const cleave_program &program, char *arena,
                         const char *weights, const cleave_tensor *inputs,
                         const cleave_tensor *outputs) {
  Graphs &g = graphs();
  if (g.disabled || syncHook) // Transfers stay eager.
    return eager(program, arena, weights, inputs, outputs);
  std::vector<const void *> key = {arena, weights};
  for (int32_t i = 0; i < program.num_inputs; ++i)
    key.push_back(inputs[i].data);
  for (int32_t i = 0; i < program.num_outputs; ++i)
    key.push_back(outputs[i].data);
  auto it = g.ready.find(key);
  if (it == g.ready.end()) {
    if (g.seen.insert(key).second) // First run: eager, sets everything up.
      return eager(program, arena, weights, inputs, outputs);
    cudaGraphExec_t exec = capture(program, arena, weights, inputs, outputs);
    if (!exec) {
      g.disabled = true;
      return eager(program, arena, weights, inputs, outputs);
    }
    it = g.ready.emplace(key, exec).first;
  }
  CLEAVE_CUDA_CHECK(cudaGraphLaunch(it->second, stream()),
                    "replaying the program's CUDA graph");
  return nullptr;
}

} // namespace cleave::cuda
