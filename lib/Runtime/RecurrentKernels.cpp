//===- RecurrentKernels.cpp - RNN, GRU and LSTM through oneDNN ------------===//
//
// A whole layer in one call of oneDNN's fused RNN primitives (vanilla RNN,
// GRU, linear-before-reset GRU, LSTM with or without peepholes), instead of
// a dozen small ops per step. ONNX's weights are packed into oneDNN's
// order once per call, or once per run for constant weights: the gates
// reordered (ONNX's LSTM is i, o, f, c; oneDNN's i, f, c, o), W and Wb
// summed with R and Rb where oneDNN keeps one bias, and the products'
// operands reordered to the layout the primitive chose.
//
//===----------------------------------------------------------------------===//

#include "OneDnnSupport.h"
#include "RecurrentLayer.h"
#include "StatusInternal.h"
#include "cleave/Runtime/CpuKernels.h"
#include <array>
#include <map>
#include <omp.h>
#include <string>
#include <vector>

using namespace cleave::cpu;

namespace {

/// The weights in the primitive's layouts.
struct PackedWeights {
  memory layer, iter, bias, peephole;
};

struct RecurrentPlan {
  dnnl::primitive primitive;
  memory::desc layerDesc, iterDesc, biasDesc, peepholeDesc;
  memory::desc dstLayer; // [T, N, D * H]
  memory scratchLayer;   // dstLayer where Y cannot be written directly.
  /// Packed constant weights by the addresses of w, r, b and p.
  std::map<std::array<const void *, 4>, PackedWeights> constantWeights;
};

/// oneDNN's gate g is ONNX's gate gateOrder[g].
const std::vector<int64_t> &gateOrder(int32_t cell) {
  static const std::vector<int64_t> rnn = {0}, gru = {0, 1, 2},
                                    lstm = {0, 2, 3, 1};
  return cell == kRnn ? rnn : cell == kGru ? gru : lstm;
}

using Shape = RecurrentShape;

RecurrentPlan makePlan(int32_t cell, int32_t activation, int32_t direction,
                       bool lbr, const Shape &s, bool hasInitialH,
                       bool hasInitialC, bool hasPeepholes, bool wantH,
                       bool wantC) {
  using tag = memory::format_tag;
  auto f32 = memory::data_type::f32;
  auto dir = direction == 0   ? dnnl::rnn_direction::unidirectional_left2right
             : direction == 1 ? dnnl::rnn_direction::unidirectional_right2left
                              : dnnl::rnn_direction::bidirectional_concat;
  memory::desc none;
  memory::desc srcLayer({s.steps, s.batch, s.input}, f32, tag::tnc);
  memory::desc state({1, s.directions, s.batch, s.hidden}, f32, tag::ldnc);
  memory::desc layer({1, s.directions, s.input, s.gates, s.hidden}, f32,
                     tag::any);
  memory::desc iter({1, s.directions, s.hidden, s.gates, s.hidden}, f32,
                    tag::any);
  memory::desc bias({1, s.directions, s.gates + (lbr ? 1 : 0), s.hidden}, f32,
                    tag::ldgo);
  memory::desc peephole = hasPeepholes ? memory::desc({1, s.directions, 3,
                                                       s.hidden},
                                                      f32, tag::ldgo)
                                       : none;
  memory::desc dstLayer({s.steps, s.batch, s.directions * s.hidden}, f32,
                        tag::tnc);
  auto prop = dnnl::prop_kind::forward_inference;
  RecurrentPlan plan;
  dnnl::primitive_desc_base pd;
  if (cell == kLstm) {
    dnnl::lstm_forward::desc desc(
        prop, dir, srcLayer, hasInitialH ? state : none,
        hasInitialC ? state : none, layer, iter, peephole, bias, dstLayer,
        wantH ? state : none, wantC ? state : none);
    dnnl::lstm_forward::primitive_desc primitive(desc, cpuEngine());
    plan.primitive = dnnl::lstm_forward(primitive);
    pd = primitive;
  } else if (cell == kGru && lbr) {
    dnnl::lbr_gru_forward::desc desc(prop, dir, srcLayer,
                                     hasInitialH ? state : none, layer, iter,
                                     bias, dstLayer, wantH ? state : none);
    dnnl::lbr_gru_forward::primitive_desc primitive(desc, cpuEngine());
    plan.primitive = dnnl::lbr_gru_forward(primitive);
    pd = primitive;
  } else if (cell == kGru) {
    dnnl::gru_forward::desc desc(prop, dir, srcLayer,
                                 hasInitialH ? state : none, layer, iter, bias,
                                 dstLayer, wantH ? state : none);
    dnnl::gru_forward::primitive_desc primitive(desc, cpuEngine());
    plan.primitive = dnnl::gru_forward(primitive);
    pd = primitive;
  } else {
    auto algorithm = activation == kRelu ? dnnl::algorithm::eltwise_relu
                     : activation == kSigmoid
                         ? dnnl::algorithm::eltwise_logistic
                         : dnnl::algorithm::eltwise_tanh;
    dnnl::vanilla_rnn_forward::desc desc(
        prop, algorithm, dir, srcLayer, hasInitialH ? state : none, layer,
        iter, bias, dstLayer, wantH ? state : none);
    dnnl::vanilla_rnn_forward::primitive_desc primitive(desc, cpuEngine());
    plan.primitive = dnnl::vanilla_rnn_forward(primitive);
    pd = primitive;
  }
  plan.layerDesc = pd.query_md(dnnl::query::weights_md, 0);
  plan.iterDesc = pd.query_md(dnnl::query::weights_md, 1);
  plan.biasDesc = bias;
  plan.peepholeDesc = peephole;
  plan.dstLayer = dstLayer;
  plan.scratchLayer = memory(dstLayer, cpuEngine());
  return plan;
}

/// ONNX's [D, G*H, K] weights, gates in oneDNN's order, reordered to `to`
/// (oneDNN's [1, D, K, G, H] in the primitive's layout).
memory packProduct(const cleave_tensor *weights, const Shape &s, int64_t k,
                   const std::vector<int64_t> &order, const memory::desc &to) {
  // [D][G][H][K] in oneDNN's gate order: the ldgoi layout.
  std::vector<float> permuted(s.directions * s.gates * s.hidden * k);
  const float *from = static_cast<const float *>(weights->data);
  int64_t gateSize = s.hidden * k;
  for (int64_t d = 0; d < s.directions; ++d)
    for (int64_t g = 0; g < s.gates; ++g)
      std::memcpy(&permuted[(d * s.gates + g) * gateSize],
                  from + (d * s.gates + order[g]) * gateSize,
                  gateSize * sizeof(float));
  memory::desc plain({1, s.directions, k, s.gates, s.hidden},
                     memory::data_type::f32, memory::format_tag::ldgoi);
  memory source(plain, cpuEngine(), permuted.data());
  memory packed(to, cpuEngine());
  reorder(source, packed);
  return packed;
}

/// oneDNN's one bias per gate (two for the linear-before-reset GRU's
/// candidate): Wb + Rb, in oneDNN's gate order.
memory packBias(const cleave_tensor *b, const Shape &s, int32_t cell, bool lbr,
                const memory::desc &desc) {
  memory packed(desc, cpuEngine());
  float *to = static_cast<float *>(packed.get_data_handle());
  int64_t biasGates = s.gates + (lbr ? 1 : 0);
  std::fill(to, to + s.directions * biasGates * s.hidden, 0.0f);
  if (!b)
    return packed;
  const std::vector<int64_t> &order = gateOrder(cell);
  const float *from = static_cast<const float *>(b->data);
  int64_t gh = s.gates * s.hidden;
  for (int64_t d = 0; d < s.directions; ++d) {
    const float *wb = from + d * 2 * gh, *rb = wb + gh;
    for (int64_t g = 0; g < s.gates; ++g) {
      float *out = to + (d * biasGates + g) * s.hidden;
      const float *w = wb + order[g] * s.hidden, *r = rb + order[g] * s.hidden;
      // The linear-before-reset candidate keeps Rb inside the reset.
      bool apart = lbr && g == 2;
      for (int64_t h = 0; h < s.hidden; ++h)
        out[h] = w[h] + (apart ? 0.0f : r[h]);
      if (apart)
        std::memcpy(to + (d * biasGates + 3) * s.hidden, r,
                    s.hidden * sizeof(float));
    }
  }
  return packed;
}

/// The LSTM peepholes, ONNX's i, o, f as oneDNN's i, f, o.
memory packPeepholes(const cleave_tensor *p, const Shape &s,
                     const memory::desc &desc) {
  memory packed(desc, cpuEngine());
  float *to = static_cast<float *>(packed.get_data_handle());
  const float *from = static_cast<const float *>(p->data);
  const int64_t order[3] = {0, 2, 1};
  for (int64_t d = 0; d < s.directions; ++d)
    for (int64_t g = 0; g < 3; ++g)
      std::memcpy(to + (d * 3 + g) * s.hidden,
                  from + (d * 3 + order[g]) * s.hidden,
                  s.hidden * sizeof(float));
  return packed;
}

PackedWeights pack(const RecurrentPlan &plan, const Shape &s, int32_t cell,
                   bool lbr, const cleave_tensor *w, const cleave_tensor *r,
                   const cleave_tensor *b, const cleave_tensor *p) {
  const std::vector<int64_t> &order = gateOrder(cell);
  PackedWeights packed;
  packed.layer = packProduct(w, s, s.input, order, plan.layerDesc);
  packed.iter = packProduct(r, s, s.hidden, order, plan.iterDesc);
  packed.bias = packBias(b, s, cell, lbr, plan.biasDesc);
  if (p)
    packed.peephole = packPeepholes(p, s, plan.peepholeDesc);
  return packed;
}

} // namespace

extern "C" cleave_status cleave_cpu_recurrent(
    int32_t cell, int32_t activation, int32_t direction,
    int32_t linear_before_reset, const cleave_tensor *x, const cleave_tensor *w,
    const cleave_tensor *r, const cleave_tensor *b,
    const cleave_tensor *initial_h, const cleave_tensor *initial_c,
    const cleave_tensor *p, cleave_tensor *y, cleave_tensor *y_h,
    cleave_tensor *y_c) {
  CLEAVE_RETURN_IF_ERROR(checkF32("recurrent", {x, w, r}));
  for (const cleave_tensor *t : {b, initial_h, initial_c, p,
                                 (const cleave_tensor *)y, (const cleave_tensor *)y_h,
                                 (const cleave_tensor *)y_c})
    if (t)
      CLEAVE_RETURN_IF_ERROR(checkF32("recurrent", {t}));
  if (cell < kRnn || cell > kLstm || direction < 0 || direction > 2 ||
      x->rank != 3 || w->rank != 3 || r->rank != 3)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "recurrent: bad cell, direction or operand ranks");
  bool lbr = cell == kGru && linear_before_reset;
  Shape s;
  s.steps = x->dims[0];
  s.batch = x->dims[1];
  s.input = x->dims[2];
  s.directions = direction == 2 ? 2 : 1;
  s.hidden = r->dims[2];
  s.gates = cell == kRnn ? 1 : cell == kGru ? 3 : 4;
  if (w->dims[0] != s.directions || w->dims[1] != s.gates * s.hidden ||
      w->dims[2] != s.input || r->dims[0] != s.directions ||
      r->dims[1] != s.gates * s.hidden)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "recurrent: W " + shapeText(dimsOf(w)) + " or R " +
                            shapeText(dimsOf(r)) + " does not match X " +
                            shapeText(dimsOf(x)));
  if (cell != kLstm)
    initial_c = p = y_c = nullptr;
  if (preferRecurrentLoop(s, omp_get_max_threads())) {
    RecurrentCall call{cell, activation, direction, lbr, s, x,   w,  r,
                       b,    initial_h,  initial_c, p,   y, y_h, y_c};
    return guarded("recurrent", [&] { return runRecurrentLoop(call); });
  }
  // Each step waits for the one before: below about a million
  // multiply-adds a step, the threads' barrier at every step costs more
  // than sharing the step saves (DeepSpeech's RNN, batch 1, hidden 128:
  // 0.60 ms on two threads, 0.25 on one). oneDNN fixes a primitive's
  // threads when it is made, so the plan is made on one thread too.
  int64_t stepMacs = s.batch * s.gates * s.hidden * (s.hidden + s.input);
  bool serial = stepMacs < (1 << 20) && omp_get_max_threads() > 1;
  int threads = omp_get_max_threads();
  if (serial)
    omp_set_num_threads(1);
  cleave_status status = guarded("recurrent", [&]() -> cleave_status {
    thread_local PlanCache<RecurrentPlan> plans;
    PlanKey key = planKey(kRecurrent, {dimsOf(x), dimsOf(r)},
                          {(double)cell, (double)activation, (double)direction,
                           (double)lbr, (double)!!initial_h, (double)!!initial_c,
                           (double)!!p, (double)!!y_h, (double)!!y_c});
    RecurrentPlan &plan = plans.get(key, [&] {
      return makePlan(cell, activation, direction, lbr, s, initial_h,
                      initial_c, p, y_h, y_c);
    });

    PackedWeights fresh;
    const PackedWeights *weights = &fresh;
    auto constant = [](const cleave_tensor *t) {
      return !t || isConstant(t->data);
    };
    if (constant(w) && constant(r) && constant(b) && constant(p)) {
      std::array<const void *, 4> id = {w->data, r->data, b ? b->data : nullptr,
                                        p ? p->data : nullptr};
      auto it = plan.constantWeights.find(id);
      if (it == plan.constantWeights.end())
        it = plan.constantWeights
                 .emplace(id, pack(plan, s, cell, lbr, w, r, b, p))
                 .first;
      weights = &it->second;
    } else {
      fresh = pack(plan, s, cell, lbr, w, r, b, p);
    }

    memory::desc state({1, s.directions, s.batch, s.hidden},
                       memory::data_type::f32, memory::format_tag::ldnc);
    // One direction writes Y ([T, 1, N, H]) itself; two write [T, N, 2H],
    // spread over Y's [T, 2, N, H] after.
    bool direct = y && s.directions == 1;
    memory dstLayer = direct ? wrap(plan.dstLayer, y) : plan.scratchLayer;
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC_LAYER, wrap(memory::desc({s.steps, s.batch, s.input},
                                               memory::data_type::f32,
                                               memory::format_tag::tnc),
                                  x)},
        {DNNL_ARG_WEIGHTS_LAYER, weights->layer},
        {DNNL_ARG_WEIGHTS_ITER, weights->iter},
        {DNNL_ARG_BIAS, weights->bias},
        {DNNL_ARG_DST_LAYER, dstLayer}};
    if (initial_h)
      args[DNNL_ARG_SRC_ITER] = wrap(state, initial_h);
    if (initial_c)
      args[DNNL_ARG_SRC_ITER_C] = wrap(state, initial_c);
    if (p)
      args[DNNL_ARG_WEIGHTS_PEEPHOLE] = weights->peephole;
    if (y_h)
      args[DNNL_ARG_DST_ITER] = wrap(state, y_h);
    if (y_c)
      args[DNNL_ARG_DST_ITER_C] = wrap(state, y_c);
    execute(plan.primitive, args);

    if (y && !direct) {
      const float *from = static_cast<const float *>(dstLayer.get_data_handle());
      float *to = static_cast<float *>(y->data);
      int64_t h = s.hidden, n = s.batch, dirs = s.directions;
      for (int64_t t = 0; t < s.steps; ++t)
        for (int64_t i = 0; i < n; ++i)
          for (int64_t d = 0; d < dirs; ++d)
            std::memcpy(to + ((t * dirs + d) * n + i) * h,
                        from + (t * n + i) * dirs * h + d * h,
                        h * sizeof(float));
    }
    return nullptr;
  });
  if (serial)
    omp_set_num_threads(threads);
  return status;
}
