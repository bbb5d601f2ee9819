//===- LossKernels.cpp - losses and their gradients on the CPU ------------===//
//
// Softmax cross entropy over the last axis: the loss from oneDNN's log
// softmax at the labels (summed in double), the gradient row by row in
// double. (The gradient in float, within 1e-6 of this one, moved a 10-step
// Inception run with microbatches 1e-4 away from PyTorch's, where this one
// stays within 1.1e-6: a near-tie somewhere flips with the last bits; so
// did a float exp summed in double.)
//
//===----------------------------------------------------------------------===//

#include "OneDnnSupport.h"
#include "StatusInternal.h"
#include "VectorMath.h"
#include "cleave/Runtime/CpuKernels.h"
#include <algorithm>
#include <cmath>
#include <omp.h>
#include <string>
#include <vector>

using namespace cleave::cpu;

namespace {

struct Rows {
  int64_t count, classes;
  const float *logits;
  const int64_t *labels;
};

/// Writes e^(x - max x) of each of `row`'s `classes` values to `e`, in
/// double, and returns their sum. The exp is vectorised (within a few
/// double ulp of libm's: a call per element cost GPT-2's 2,048-class head
/// 1 ms a step); eight running maxima and four sums let the loops
/// vectorise; built for AVX2 too (four doubles a vector, picked
/// when the program loads), where the polynomial runs twice as wide.
/// Not FMA: contracted products would round differently from the
/// baseline build, and a bundle's results would depend on the CPU.
__attribute__((target_clones("avx2", "default"))) double
softmaxExps(const float *row, int64_t classes, double *e) {
  float tops[8];
  std::fill(tops, tops + 8, -INFINITY);
  int64_t c = 0;
  for (; c + 8 <= classes; c += 8)
    for (int k = 0; k < 8; ++k)
      tops[k] = row[c + k] > tops[k] ? row[c + k] : tops[k];
  for (; c < classes; ++c)
    tops[0] = row[c] > tops[0] ? row[c] : tops[0];
  double top = *std::max_element(tops, tops + 8);
  for (c = 0; c < classes; ++c)
    e[c] = vectorExpDouble((double)row[c] - top);
  double sums[4] = {0, 0, 0, 0};
  for (c = 0; c + 4 <= classes; c += 4)
    for (int k = 0; k < 4; ++k)
      sums[k] += e[c + k];
  for (; c < classes; ++c)
    sums[0] += e[c];
  return (sums[0] + sums[1]) + (sums[2] + sums[3]);
}

cleave_status checkLoss(const char *kernel, const cleave_tensor *logits,
                        const cleave_tensor *labels, Rows &rows) {
  CLEAVE_RETURN_IF_ERROR(checkF32(kernel, {logits}));
  if (labels->dtype != CLEAVE_DTYPE_I64)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        std::string(kernel) + ": labels must be i64");
  if (logits->rank < 1 || labels->rank != logits->rank - 1 ||
      !std::equal(labels->dims, labels->dims + labels->rank, logits->dims))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        std::string(kernel) +
                            ": labels must have the logits' shape without "
                            "its last axis");
  rows.classes = logits->dims[logits->rank - 1];
  rows.count = cleave_tensor_num_elements(labels);
  rows.logits = static_cast<const float *>(logits->data);
  rows.labels = static_cast<const int64_t *>(labels->data);
  return nullptr;
}

/// `logits` with the same shape and `data`: a kernel's view of a buffer.
cleave_tensor sameShape(const cleave_tensor *logits, void *data) {
  cleave_tensor view = *logits;
  view.data = data;
  view.owns_data = 0;
  return view;
}

/// The rows that count, and an error for a label out of range.
cleave_status countRows(const char *kernel, const Rows &rows,
                        int64_t ignoreIndex, int64_t &counted) {
  counted = 0;
  for (int64_t r = 0; r < rows.count; ++r) {
    int64_t label = rows.labels[r];
    if (label == ignoreIndex)
      continue;
    if (label < 0 || label >= rows.classes)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          std::string(kernel) + ": label " +
                              std::to_string(label) + " of row " +
                              std::to_string(r) + " is not a class in [0, " +
                              std::to_string(rows.classes) + ")");
    ++counted;
  }
  return nullptr;
}

} // namespace

extern "C" {

cleave_status cleave_cpu_cross_entropy(const cleave_tensor *logits,
                                       const cleave_tensor *labels,
                                       int32_t reduction_mean,
                                       int64_t ignore_index,
                                       cleave_tensor *loss) {
  Rows rows;
  CLEAVE_RETURN_IF_ERROR(checkLoss("cross_entropy", logits, labels, rows));
  CLEAVE_RETURN_IF_ERROR(checkF32("cross_entropy", {loss}));
  int64_t counted;
  CLEAVE_RETURN_IF_ERROR(
      countRows("cross_entropy", rows, ignore_index, counted));
  // -log_softmax at each label, from oneDNN's vectorized log softmax (a
  // scalar exp per element made a 2,048-class LM head's loss cost as much
  // as its products); the sum in double.
  static thread_local std::vector<float> scratch;
  scratch.resize((size_t)cleave_tensor_num_elements(logits));
  cleave_tensor logProbabilities = sameShape(logits, scratch.data());
  CLEAVE_RETURN_IF_ERROR(cleave_cpu_softmax(logits, logits->rank - 1,
                                            /*log=*/1, &logProbabilities));
  double total = 0;
  for (int64_t r = 0; r < rows.count; ++r)
    if (rows.labels[r] != ignore_index)
      total -= (double)scratch[r * rows.classes + rows.labels[r]];
  // PyTorch: the mean over no counted rows is NaN.
  *static_cast<float *>(loss->data) =
      (float)(reduction_mean ? total / (double)counted : total);
  return nullptr;
}

cleave_status cleave_cpu_cross_entropy_grad(const cleave_tensor *logits,
                                            const cleave_tensor *labels,
                                            const cleave_tensor *dloss,
                                            int32_t reduction_mean,
                                            int64_t ignore_index,
                                            cleave_tensor *dlogits) {
  Rows rows;
  CLEAVE_RETURN_IF_ERROR(
      checkLoss("cross_entropy_grad", logits, labels, rows));
  CLEAVE_RETURN_IF_ERROR(checkF32("cross_entropy_grad", {dloss, dlogits}));
  if (cleave_tensor_num_elements(dloss) != 1 ||
      cleave_tensor_num_elements(dlogits) != cleave_tensor_num_elements(logits))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "cross_entropy_grad: dloss must be a scalar and "
                        "dlogits the logits' shape");
  int64_t counted;
  CLEAVE_RETURN_IF_ERROR(
      countRows("cross_entropy_grad", rows, ignore_index, counted));
  double scale = *static_cast<const float *>(dloss->data);
  if (reduction_mean)
    scale /= (double)counted;
  float *out = static_cast<float *>(dlogits->data);
  std::vector<double> exps((size_t)omp_get_max_threads() * rows.classes);
#pragma omp parallel for if (rows.count > 64)
  for (int64_t r = 0; r < rows.count; ++r) {
    int64_t label = rows.labels[r];
    const float *row = rows.logits + r * rows.classes;
    float *grad = out + r * rows.classes;
    if (label == ignore_index) {
      for (int64_t c = 0; c < rows.classes; ++c)
        grad[c] = 0.0f;
      continue;
    }
    // The softmax in double, rounded once.
    double *e = exps.data() + omp_get_thread_num() * rows.classes;
    double factor = scale / softmaxExps(row, rows.classes, e);
    for (int64_t c = 0; c < rows.classes; ++c)
      grad[c] = (float)(factor * e[c]);
    grad[label] = (float)(factor * e[label] - scale);
  }
  return nullptr;
}

} // extern "C"
