//===- RecurrentLoop.cpp - RNN, GRU and LSTM step by step, small batches --===//
//
// At batch 1 a recurrent step is a [1, H] x [H, G*H] product and a few
// activations: 16K multiply-adds for DeepSpeech's RNN, about 0.2 us of
// arithmetic, where oneDNN's primitive spends 1.25 us a step. Here the
// input's share of every step is one product over the whole sequence
// (oneDNN's sgemm); each step then adds h R^T, R^T packed once in panels
// of 64 columns whose rows are scaled and summed into eight vector
// accumulators, and applies the cell's activations with VectorMath.h's
// branch-free exp. The steps (RecurrentSteps.inc) are compiled for
// baseline x86-64 and for AVX2 with FMA, picked at run time. The two
// directions of a bidirectional layer run on two threads.
//
//===----------------------------------------------------------------------===//

#include "OneDnnSupport.h"
#include "RecurrentLayer.h"
#include "StatusInternal.h"
#include "VectorMath.h"
#include <algorithm>
#include <cstring>
#include <map>
#include <omp.h>
#include <tuple>
#include <vector>

using namespace cleave::cpu;

namespace {

/// Columns per panel of R^T: the product keeps a panel's rows for one
/// block of columns in registers (8 vectors: 64 columns with AVX2, two
/// blocks of 32 with SSE2).
constexpr int64_t kPanel = 64;

/// R and the biases arranged for the loop, per direction.
struct LoopWeights {
  /// [D][H * G*H]: R^T, [H, G*H], in panels of kPanel columns, each
  /// [H][width] contiguous so that a product streams it (R^T's own rows,
  /// G*H apart, would alias in the cache). The GRU whose reset comes first
  /// multiplies its z and r columns and its candidate's separately: those
  /// are two panel sets, [H, 2H] then [H, H].
  std::vector<float> panels;
  std::vector<float> outerBias; // [D][G*H]: added to x W^T.
  std::vector<float> innerBias; // [D][G*H]: added to h R^T (Rb of the
                                // linear-before-reset GRU's candidate).
  std::vector<float> peepholes; // [D][3*H], zeros when absent.
};

/// R's rows [c0, c1) of one direction (R [G*H, H]), transposed into
/// panels at `to`.
void packPanels(const float *r, int64_t h, int64_t c0, int64_t c1, float *to) {
  for (int64_t j0 = c0; j0 < c1; j0 += kPanel) {
    int64_t width = std::min(kPanel, c1 - j0);
    for (int64_t k = 0; k < h; ++k)
      for (int64_t j = 0; j < width; ++j)
        to[k * width + j] = r[(j0 + j) * h + k];
    to += h * width;
  }
}

LoopWeights arrange(const RecurrentCall &call) {
  const RecurrentShape &s = call.shape;
  int64_t h = s.hidden, gh = s.gates * s.hidden;
  LoopWeights out;
  out.panels.resize(s.directions * h * gh);
  const float *r = static_cast<const float *>(call.r->data);
  bool split = call.cell == kGru && !call.linearBeforeReset;
  for (int64_t d = 0; d < s.directions; ++d) {
    float *to = out.panels.data() + d * h * gh;
    const float *rd = r + d * gh * h;
    if (split) {
      packPanels(rd, h, 0, 2 * h, to);
      packPanels(rd, h, 2 * h, gh, to + h * 2 * h);
    } else {
      packPanels(rd, h, 0, gh, to);
    }
  }
  out.outerBias.assign(s.directions * gh, 0.0f);
  out.innerBias.assign(s.directions * gh, 0.0f);
  if (call.b) {
    const float *b = static_cast<const float *>(call.b->data);
    for (int64_t d = 0; d < s.directions; ++d)
      for (int64_t j = 0; j < gh; ++j) {
        float wb = b[d * 2 * gh + j], rb = b[d * 2 * gh + gh + j];
        bool inside = call.linearBeforeReset && j >= 2 * h;
        out.outerBias[d * gh + j] = wb + (inside ? 0.0f : rb);
        out.innerBias[d * gh + j] = inside ? rb : 0.0f;
      }
  }
  out.peepholes.assign(s.directions * 3 * h, 0.0f);
  if (call.peepholes)
    std::copy_n(static_cast<const float *>(call.peepholes->data),
                s.directions * 3 * h, out.peepholes.begin());
  return out;
}

/// Floats of scratch one direction needs: its states and a step's sums.
int64_t scratchFloats(const RecurrentShape &s) {
  return s.batch * (3 * s.hidden + s.gates * s.hidden);
}

} // namespace

// The steps for baseline x86-64 (SSE2) and for AVX2 with FMA; the CPU
// picks at run time.
namespace {
namespace baseline {
constexpr int Lanes = 4;
#include "RecurrentSteps.inc"
} // namespace baseline

#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
constexpr int Lanes = 8;
#include "RecurrentSteps.inc"
} // namespace avx2
#pragma GCC pop_options
} // namespace

bool cleave::cpu::preferRecurrentLoop(const RecurrentShape &shape,
                                      int threads) {
  // Measured on an AVX-512 EPYC, 1 and 2 threads, hidden 64 to 1024
  // (docs/Architecture.md): one sequence runs faster here (1.1x to 1.9x)
  // unless a step is big enough for oneDNN to share it among more threads
  // than there are directions; several sequences run faster here only
  // while a step is small (batch 2, hidden 128 RNN: 1.25x; batch 2, hidden
  // 96 LSTM: 0.75x).
  int64_t stepMacs = shape.batch * shape.gates * shape.hidden * shape.hidden;
  if (shape.batch == 1)
    return threads <= shape.directions || stepMacs <= (1 << 20);
  return stepMacs <= (1 << 15);
}

cleave_status cleave::cpu::runRecurrentLoop(const RecurrentCall &call,
                                            bool baseline) {
  const RecurrentShape &s = call.shape;
  int64_t gh = s.gates * s.hidden, width = s.directions * gh;
  LoopWeights fresh;
  const LoopWeights *weights = &fresh;
  auto constant = [](const cleave_tensor *t) {
    return !t || isConstant(t->data);
  };
  if (constant(call.r) && constant(call.b) && constant(call.peepholes)) {
    thread_local std::map<std::tuple<const void *, const void *, const void *,
                                     int32_t, bool, int64_t, int64_t>,
                          LoopWeights>
        arranged;
    // By the weights' addresses and the layer's form and size: a layer of
    // another size never reads panels arranged for this one.
    auto id = std::make_tuple(call.r->data, call.b ? call.b->data : nullptr,
                              call.peepholes ? call.peepholes->data : nullptr,
                              call.cell, call.linearBeforeReset, s.directions,
                              s.hidden);
    auto it = arranged.find(id);
    if (it == arranged.end())
      it = arranged.emplace(id, arrange(call)).first;
    weights = &it->second;
  } else {
    fresh = arrange(call);
  }

  // Every step's x W^T at once, then the outer biases.
  thread_local std::vector<float> projected;
  int64_t rows = s.steps * s.batch;
  projected.resize(rows * width);
  if (rows && s.input) {
    dnnl::status status =
        dnnl::sgemm('N', 'T', rows, width, s.input, 1.0f,
                    static_cast<const float *>(call.x->data), s.input,
                    static_cast<const float *>(call.w->data), s.input, 0.0f,
                    projected.data(), width);
    if (status != dnnl::status::success)
      return CLEAVE_ERROR(CLEAVE_INTERNAL, "recurrent: oneDNN's sgemm failed");
  } else
    std::fill(projected.begin(), projected.end(), 0.0f);
  const float *bias = weights->outerBias.data();
  for (int64_t row = 0; row < rows; ++row) {
    float *p = projected.data() + row * width;
    for (int64_t j = 0; j < width; ++j)
      p[j] += bias[j];
  }

  std::vector<float> scratch(s.directions * scratchFloats(s));
  const float *steps = projected.data(); // thread_local: this thread's.
  auto run = baseline || !(__builtin_cpu_supports("avx2") &&
                           __builtin_cpu_supports("fma"))
                 ? baseline::runDirection
                 : avx2::runDirection;
  int threads = (int)std::min<int64_t>(s.directions, omp_get_max_threads());
#pragma omp parallel for num_threads(threads) if (threads > 1)
  for (int64_t d = 0; d < s.directions; ++d)
    run(call, *weights, steps, d, scratch.data() + d * scratchFloats(s));
  return nullptr;
}
