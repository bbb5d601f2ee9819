//===- TfIdfKernel.cpp - TfIdfVectorizer on the CPU -----------------------===//
//
// ONNX TfIdfVectorizer over an integer pool, as onnxruntime and ONNX's
// reference count: for each skip distance d from 1 to max_skip + 1, every
// n-gram x[s], x[s + d], ..., x[s + (n - 1) d] of a row whose size n is
// within [min_gram, max_gram] and which the pool holds adds one to its
// output column; unigrams are counted at d = 1 only (they do not depend on
// d). The pool is a map from n-gram to column, built once per call.
//
//===----------------------------------------------------------------------===//

#include "OneDnnSupport.h"
#include "StatusInternal.h"
#include "cleave/Runtime/CpuKernels.h"
#include <map>
#include <vector>

using namespace cleave::cpu;

extern "C" cleave_status cleave_cpu_tfidf_vectorizer(
    const cleave_tensor *x, const cleave_tensor *weights, int32_t mode,
    int32_t min_gram, int32_t max_gram, int32_t max_skip, const int64_t *pool,
    int64_t pool_size, const int64_t *counts, int64_t counts_size,
    const int64_t *indexes, int64_t indexes_size, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("tfidf_vectorizer", {y}));
  bool weighted = weights != nullptr;
  if (weighted)
    CLEAVE_RETURN_IF_ERROR(checkF32("tfidf_vectorizer", {weights}));
  bool wide = x->dtype == CLEAVE_DTYPE_I64;
  int64_t rows = x->rank == 2 ? x->dims[0] : 1;
  int64_t length = x->rank == 0 ? 1 : x->dims[x->rank - 1];
  int64_t columns = y->rank == 0 ? 0 : y->dims[y->rank - 1];
  if ((!wide && x->dtype != CLEAVE_DTYPE_I32) || x->rank > 2 ||
      y->rank != std::max<int32_t>(x->rank, 1) ||
      (x->rank == 2 && y->dims[0] != rows) || mode < 0 || mode > 2 ||
      min_gram < 1 || max_gram < min_gram || max_skip < 0 ||
      (weighted && (weights->rank != 1 || weights->dims[0] < columns)))
    return CLEAVE_ERROR(
        CLEAVE_INVALID_ARGUMENT,
        "tfidf_vectorizer: x (i32 or i64, [C] or [B, C]), "
        "weights and y [B, size] do not match: " +
            shapeText(dimsOf(x)) + ", " +
            (weighted ? shapeText(dimsOf(weights)) + ", " : std::string()) +
            shapeText(dimsOf(y)));
  // The pool's n-grams of the sizes counted, to their output columns.
  std::map<std::vector<int64_t>, int64_t> columnOf;
  int64_t id = 0;
  for (int64_t i = 0; i < counts_size; ++i) {
    int64_t size = i + 1, begin = counts[i];
    int64_t end = i + 1 < counts_size ? counts[i + 1] : pool_size;
    for (int64_t at = begin; at + size <= end; at += size, ++id) {
      if (size < min_gram || size > max_gram)
        continue;
      if (id >= indexes_size || indexes[id] < 0 || indexes[id] >= columns)
        return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                            "tfidf_vectorizer: n-gram " + std::to_string(id) +
                                " has no column in ngram_indexes");
      columnOf[std::vector<int64_t>(pool + at, pool + at + size)] = indexes[id];
    }
  }
  auto item = [&](int64_t row, int64_t i) {
    int64_t at = row * length + i;
    return wide ? ((const int64_t *)x->data)[at]
                : (int64_t)((const int32_t *)x->data)[at];
  };
  const float *w = weighted ? (const float *)weights->data : nullptr;
  float *out = (float *)y->data;
  std::vector<int64_t> frequency(columns);
  std::vector<int64_t> gram;
  for (int64_t row = 0; row < rows; ++row) {
    std::fill(frequency.begin(), frequency.end(), 0);
    int64_t smallest = min_gram;
    for (int64_t d = 1; d <= max_skip + 1 && smallest <= max_gram; ++d) {
      for (int64_t start = 0; start + d * (smallest - 1) < length; ++start) {
        gram.clear();
        for (int64_t n = 1, i = start; n <= max_gram && i < length;
             ++n, i += d) {
          gram.push_back(item(row, i));
          if (n < smallest)
            continue;
          auto found = columnOf.find(gram);
          if (found != columnOf.end())
            ++frequency[found->second];
        }
      }
      if (smallest == 1) // Unigrams once: they do not depend on d.
        smallest = 2;
    }
    float *result = out + row * columns;
    for (int64_t c = 0; c < columns; ++c) {
      float weight = weighted ? w[c] : 1.0f;
      result[c] = mode == 0   ? (float)frequency[c]
                  : mode == 1 ? (frequency[c] > 0 ? weight : 0.0f)
                              : weight * (float)frequency[c];
    }
  }
  return nullptr;
}
