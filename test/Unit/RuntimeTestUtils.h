//===- RuntimeTestUtils.h - f32 tensors for the kernel tests ----*- C++ -*-===//

#ifndef CLEAVE_TEST_UNIT_RUNTIMETESTUTILS_H
#define CLEAVE_TEST_UNIT_RUNTIMETESTUTILS_H

#include "cleave/Runtime/Tensor.h"
#include <cmath>
#include <gtest/gtest.h>
#include <random>
#include <vector>

namespace cleave::testing {

/// A row-major f32 tensor owning its storage.
struct Tensor {
  /// Filled with uniform values in [lo, hi].
  Tensor(std::vector<int64_t> shape, std::mt19937 &random, float lo = -1,
         float hi = 1)
      : shape(std::move(shape)) {
    std::uniform_real_distribution<float> values(lo, hi);
    data.resize(count());
    for (float &v : data)
      v = values(random);
  }
  /// Filled with NaN, so an unwritten element fails every comparison.
  explicit Tensor(std::vector<int64_t> shape) : shape(std::move(shape)) {
    data.assign(count(), NAN);
  }
  int64_t count() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  cleave_tensor view() {
    cleave_tensor t{};
    t.dtype = CLEAVE_DTYPE_F32;
    t.rank = (int32_t)shape.size();
    for (size_t i = 0; i < shape.size(); ++i)
      t.dims[i] = shape[i];
    t.data = data.data();
    return t;
  }
  std::vector<int64_t> shape;
  std::vector<float> data;
};

/// A tensor of any element type over `data` (not owned).
template <typename T>
cleave_tensor view(cleave_dtype dtype, std::vector<int64_t> shape,
                   std::vector<T> &data) {
  cleave_tensor t{};
  t.dtype = dtype;
  t.rank = (int32_t)shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    t.dims[i] = shape[i];
  t.data = data.data();
  return t;
}

inline void expectOk(cleave_status status) {
  EXPECT_EQ(status, nullptr) << cleave_status_message(status);
  cleave_status_free(status);
}

inline void expectClose(const std::vector<float> &got,
                        const std::vector<float> &want, float rtol = 1e-4f,
                        float atol = 1e-5f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], atol + rtol * std::fabs(want[i]))
        << "at element " << i;
}

} // namespace cleave::testing

#endif // CLEAVE_TEST_UNIT_RUNTIMETESTUTILS_H
