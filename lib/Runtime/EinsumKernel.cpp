//===- EinsumKernel.cpp - Einsum on the CPU ---------------------------------===//
//
// Any equation ONNX writes (ellipsis and diagonals included), accumulated
// in double over the summed labels.
//
//===----------------------------------------------------------------------===//

#include "ElementAccess.h"
#include "StatusInternal.h"
#include "StridedLoops.h"
#include "cleave/Runtime/CpuKernels.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

using namespace cleave::data;

extern "C" {

cleave_status cleave_cpu_einsum(const char *equation,
                                const cleave_tensor *const *inputs,
                                int32_t count, cleave_tensor *y) {
  auto fail = [&](const std::string &why) {
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "einsum '" + std::string(equation) + "': " + why);
  };
  for (int32_t k = 0; k < count; ++k)
    if (!isFloat(inputs[k]->dtype) || inputs[k]->dtype != y->dtype)
      return fail("inputs and output must share one float type");
  std::string text;
  for (const char *c = equation; *c; ++c)
    if (*c != ' ')
      text += *c;
  size_t arrow = text.find("->");
  std::string lhs = text.substr(0, arrow), rhs;
  bool explicitOutput = arrow != std::string::npos;
  if (explicitOutput)
    rhs = text.substr(arrow + 2);
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  if ((int32_t)terms.size() != count)
    return fail("it names " + std::to_string(terms.size()) +
                " inputs but has " + std::to_string(count));
  // "..." stands for the leading dims no letter names: letters '\1', '\2',
  // ... aligned to the right across inputs (NumPy broadcasting).
  int32_t ellipsis = 0;
  for (int32_t k = 0; k < count; ++k) {
    size_t at = terms[k].find("...");
    int32_t named = (int32_t)terms[k].size() - (at == std::string::npos ? 0 : 3);
    if (at != std::string::npos)
      ellipsis = std::max(ellipsis, inputs[k]->rank - named);
    else if (named != inputs[k]->rank)
      return fail("term '" + terms[k] + "' does not match rank " +
                  std::to_string(inputs[k]->rank));
  }
  auto expand = [&](const std::string &term, int32_t dims) {
    size_t at = term.find("...");
    if (at == std::string::npos)
      return term;
    std::string filled;
    for (int32_t i = ellipsis - dims; i < ellipsis; ++i)
      filled += (char)(1 + i);
    return term.substr(0, at) + filled + term.substr(at + 3);
  };
  for (int32_t k = 0; k < count; ++k) {
    size_t at = terms[k].find("...");
    int32_t named = (int32_t)terms[k].size() - (at == std::string::npos ? 0 : 3);
    terms[k] = expand(terms[k], inputs[k]->rank - named);
  }
  std::map<char, int64_t> size;
  std::map<char, int> uses;
  for (int32_t k = 0; k < count; ++k)
    for (size_t i = 0; i < terms[k].size(); ++i) {
      char c = terms[k][i];
      int64_t d = inputs[k]->dims[i];
      auto it = size.find(c);
      if (it != size.end() && it->second != d && it->second != 1 && d != 1)
        return fail(std::string("dim '") + c + "' has sizes " +
                    std::to_string(it->second) + " and " + std::to_string(d));
      size[c] = it == size.end() ? d : std::max(it->second, d);
      ++uses[c];
    }
  std::string output;
  if (explicitOutput) {
    output = expand(rhs, ellipsis);
  } else { // Ellipsis dims, then letters used once, in order.
    for (int32_t i = 0; i < ellipsis; ++i)
      output += (char)(1 + i);
    for (auto [c, n] : uses)
      if (n == 1 && c > 8)
        output += c;
  }
  if ((int32_t)output.size() != y->rank)
    return fail("the output has rank " + std::to_string(y->rank));
  std::string letters = output;
  for (auto [c, n] : size)
    if (output.find(c) == std::string::npos)
      letters += c;
  std::vector<int64_t> dims;
  for (char c : letters) {
    if (!size.count(c))
      return fail(std::string("output dim '") + c + "' is not an input dim");
    dims.push_back(size[c]);
  }
  for (size_t i = 0; i < output.size(); ++i)
    if (dims[i] != y->dims[i])
      return fail("the output shape does not match the equation");
  // Each input's element stride along each letter (repeats add up: a
  // diagonal; size-1 dims broadcast with stride 0).
  std::vector<std::vector<int64_t>> strides(count,
                                            std::vector<int64_t>(letters.size()));
  for (int32_t k = 0; k < count; ++k) {
    std::vector<int64_t> s = rowMajorStrides(inputs[k]);
    for (size_t i = 0; i < terms[k].size(); ++i)
      if (inputs[k]->dims[i] != 1)
        strides[k][letters.find(terms[k][i])] += s[i];
  }
  int64_t outCount = 1, sumCount = 1;
  for (size_t i = 0; i < letters.size(); ++i)
    (i < output.size() ? outCount : sumCount) *= dims[i];
  size_t outWidth = cleave_dtype_size(y->dtype);
  for (int64_t o = 0; o < outCount; ++o) {
    std::vector<int64_t> base(count, 0);
    int64_t rest = o;
    for (int64_t i = (int64_t)output.size() - 1; i >= 0; --i) {
      int64_t at = rest % dims[i];
      rest /= dims[i];
      for (int32_t k = 0; k < count; ++k)
        base[k] += at * strides[k][i];
    }
    double total = 0;
    for (int64_t s = 0; s < sumCount; ++s) {
      double product = 1;
      int64_t r = s;
      std::vector<int64_t> offset = base;
      for (int64_t i = (int64_t)letters.size() - 1;
           i >= (int64_t)output.size(); --i) {
        int64_t at = r % dims[i];
        r /= dims[i];
        for (int32_t k = 0; k < count; ++k)
          offset[k] += at * strides[k][i];
      }
      for (int32_t k = 0; k < count; ++k)
        product *= loadFloat((const char *)inputs[k]->data +
                                 offset[k] * cleave_dtype_size(inputs[k]->dtype),
                             inputs[k]->dtype);
      total += product;
    }
    storeFloat((char *)y->data + o * outWidth, y->dtype, total);
  }
  return nullptr;
}

} // extern "C"
