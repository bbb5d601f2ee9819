//===- Window.h - convolution and pooling windows ---------------*- C++ -*-===//
//
// One reading of ONNX's window attributes (kernel_shape, strides,
// dilations, pads, auto_pad, ceil_mode), shared by the shape inference of
// Conv, MaxPool and AveragePool and by their lowering: the output size of
// each spatial axis, and the padding the kernels apply to produce it.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_WINDOW_H
#define CLEAVE_DIALECT_CLEAVE_IR_WINDOW_H

#include "cleave/Dialect/Cleave/IR/CleaveEnums.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>

namespace cleave::graph {

/// The attributes shared by convolution and pooling windows, with their defaults
/// filled in for `spatialRank` dimensions.
struct WindowSpec {
  llvm::SmallVector<int64_t> kernel, strides, dilations, padsBegin, padsEnd;
  AutoPad autoPad = AutoPad::NotSet;
};


/// The window of an op's attributes for `spatialRank` axes, checked
/// (errors go to `loc` when given).
mlir::FailureOr<WindowSpec>
getWindowSpec(std::optional<mlir::Location> loc, int64_t spatialRank,
              std::optional<llvm::ArrayRef<int64_t>> kernel,
              mlir::DenseI64ArrayAttr strides, mlir::DenseI64ArrayAttr dilations,
              mlir::DenseI64ArrayAttr pads, AutoPad autoPad);

/// Output size of the sliding window along each spatial axis of `input`
/// (ONNX Conv and pooling rules, PyTorch's rule for the last ceil_mode
/// window).
mlir::FailureOr<llvm::SmallVector<int64_t>>
windowOutput(std::optional<mlir::Location> loc, llvm::ArrayRef<int64_t> input,
             const WindowSpec &w, bool ceilMode);

/// The padding before and after each spatial axis that takes `input` to
/// `output`: auto_pad's total split (the extra element after for
/// SAME_UPPER, before for SAME_LOWER), explicit pads kept at the start and
/// grown at the end when ceil_mode adds a last, partial window.
void windowPadding(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> output,
                   const WindowSpec &w, llvm::SmallVectorImpl<int64_t> &begin,
                   llvm::SmallVectorImpl<int64_t> &end);

} // namespace cleave::graph

#endif // CLEAVE_DIALECT_CLEAVE_IR_WINDOW_H
