//===- Window.cpp - convolution and pooling windows -----------------------===//

#include "cleave/Dialect/Cleave/IR/Window.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace cleave::graph {

FailureOr<WindowSpec> getWindowSpec(std::optional<Location> loc, int64_t spatialRank,
                            std::optional<ArrayRef<int64_t>> kernel,
                            DenseI64ArrayAttr strides,
                            DenseI64ArrayAttr dilations, DenseI64ArrayAttr pads,
                            AutoPad autoPad) {
  WindowSpec window;
  window.autoPad = autoPad;
  if (!kernel) {
    (void)emitOptionalError(loc, "kernel_shape is required");
    return failure();
  }
  auto filled = [&](DenseI64ArrayAttr attr, size_t size, int64_t value,
                    StringRef name) -> FailureOr<SmallVector<int64_t>> {
    if (!attr)
      return SmallVector<int64_t>(size, value);
    if (attr.size() != (int64_t)size) {
      (void)emitOptionalError(loc, name, " has ", attr.size(),
                              " entries, expected ", size);
      return failure();
    }
    return SmallVector<int64_t>(attr.asArrayRef());
  };
  window.kernel.assign(kernel->begin(), kernel->end());
  if ((int64_t)window.kernel.size() != spatialRank) {
    (void)emitOptionalError(loc, "kernel_shape has ", window.kernel.size(),
                            " entries for ", spatialRank, " spatial axes");
    return failure();
  }
  auto s = filled(strides, spatialRank, 1, "strides");
  auto d = filled(dilations, spatialRank, 1, "dilations");
  auto p = filled(pads, 2 * spatialRank, 0, "pads");
  if (failed(s) || failed(d) || failed(p))
    return failure();
  window.strides = *s;
  window.dilations = *d;
  window.padsBegin.assign(p->begin(), p->begin() + spatialRank);
  window.padsEnd.assign(p->begin() + spatialRank, p->end());
  if (llvm::any_of(window.strides, [](int64_t v) { return v <= 0; }) ||
      llvm::any_of(window.dilations, [](int64_t v) { return v <= 0; }) ||
      llvm::any_of(window.kernel, [](int64_t v) { return v <= 0; })) {
    (void)emitOptionalError(loc, "kernel_shape, strides and dilations must "
                                 "be positive");
    return failure();
  }
  return window;
}

FailureOr<SmallVector<int64_t>> windowOutput(std::optional<Location> loc,
                                             ArrayRef<int64_t> input,
                                             const WindowSpec &w, bool ceilMode) {
  SmallVector<int64_t> out;
  for (size_t i = 0; i < input.size(); ++i) {
    int64_t extent = (w.kernel[i] - 1) * w.dilations[i] + 1;
    int64_t size;
    if (w.autoPad == AutoPad::SameUpper || w.autoPad == AutoPad::SameLower) {
      size = (input[i] + w.strides[i] - 1) / w.strides[i];
    } else {
      int64_t padded =
          input[i] - extent +
          (w.autoPad == AutoPad::Valid ? 0 : w.padsBegin[i] + w.padsEnd[i]);
      if (padded < 0) {
        (void)emitOptionalError(loc, "window of extent ", extent,
                                " is larger than padded input axis ", i);
        return failure();
      }
      // ceil_mode only applies to explicit padding; VALID is always
      // ceil((in - extent + 1) / stride), which is the floor form.
      bool roundUp = ceilMode && w.autoPad == AutoPad::NotSet;
      size =
          (roundUp ? (padded + w.strides[i] - 1) : padded) / w.strides[i] + 1;
      if (roundUp && (size - 1) * w.strides[i] >= input[i] + w.padsBegin[i])
        --size;
    }
    out.push_back(size);
  }
  return out;
}


void windowPadding(ArrayRef<int64_t> input, ArrayRef<int64_t> output,
                   const WindowSpec &w, SmallVectorImpl<int64_t> &begin,
                   SmallVectorImpl<int64_t> &end) {
  for (size_t i = 0; i < input.size(); ++i) {
    int64_t extent = (w.kernel[i] - 1) * w.dilations[i] + 1;
    int64_t total = (output[i] - 1) * w.strides[i] + extent - input[i];
    if (w.autoPad == AutoPad::SameUpper || w.autoPad == AutoPad::SameLower) {
      total = std::max<int64_t>(total, 0);
      int64_t small = total / 2;
      begin.push_back(w.autoPad == AutoPad::SameUpper ? small : total - small);
      end.push_back(total - begin.back());
    } else if (w.autoPad == AutoPad::Valid) {
      begin.push_back(0);
      end.push_back(std::max<int64_t>(total, 0));
    } else {
      begin.push_back(w.padsBegin[i]);
      end.push_back(std::max<int64_t>(w.padsEnd[i], total - w.padsBegin[i]));
    }
  }
}

} // namespace cleave::graph
