//===- CleaveOps.cpp - result types and verifiers of cleave ops -----------===//
//
// Structural and elementwise ops here; shape and data movement ops in
// ShapeOps.cpp, neural-network ops in NetworkOps.cpp. Each rule follows the
// shape inference of its ONNX operator. Shapes that
// depend on an input's value (Reshape's shape, Slice's starts, ...) need that
// input to be a constant: the importer folds shape computations first.
//
//===----------------------------------------------------------------------===//

#include "OpHelpers.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CheckedArithmetic.h"
#include <cmath>

using namespace mlir;
using namespace cleave::graph;
using namespace cleave::graph::helpers;

#include "cleave/Dialect/Cleave/IR/KernelInterface.cpp.inc"
#include "cleave/Dialect/Cleave/IR/GradientInterface.cpp.inc"


bool cleave::graph::refinesInferredTypes(TypeRange inferred, TypeRange actual) {
  if (inferred.size() != actual.size())
    return false;
  for (auto [a, b] : llvm::zip(inferred, actual)) {
    auto lhs = dyn_cast<ShapedType>(a), rhs = dyn_cast<ShapedType>(b);
    if (!lhs || !rhs) {
      if (a != b)
        return false;
      continue;
    }
    if (lhs.getElementType() != rhs.getElementType())
      return false;
    if (!lhs.hasRank() || !rhs.hasRank())
      continue;
    if (lhs.getRank() != rhs.getRank())
      return false;
    for (auto [x, y] : llvm::zip(lhs.getShape(), rhs.getShape()))
      if (x != y && !ShapedType::isDynamic(x) && !ShapedType::isDynamic(y))
        return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Structural ops
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location>,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  types.push_back(adaptor.getValue().getType());
  return success();
}

/// The tensor is read only after its wait, which matches the receive.
LogicalResult RecvStartOp::verify() {
  RecvWaitOp wait;
  for (Operation *user : getValue().getUsers()) {
    auto candidate = dyn_cast<RecvWaitOp>(user);
    if (!candidate)
      continue;
    if (wait)
      return emitOpError("has two cleave.recv_wait");
    wait = candidate;
  }
  if (!wait)
    return emitOpError("has no cleave.recv_wait");
  if (wait.getPeer() != getPeer() || wait.getTag() != getTag())
    return emitOpError("is waited for with another peer or tag");
  for (Operation *user : getValue().getUsers())
    if (user != wait &&
        (user->getBlock() != wait->getBlock() || user->isBeforeInBlock(wait)))
      return user->emitOpError("reads a received tensor before its "
                               "cleave.recv_wait");
  return success();
}

LogicalResult RecvWaitOp::verify() {
  if (!getValue().getDefiningOp<RecvStartOp>())
    return emitOpError("waits for a tensor no cleave.recv_start posted");
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult LRNOp::verify() {
  if ((int64_t)getSize() <= 0)
    return emitOpError("size must be positive");
  if (getX().getType().getRank() < 3)
    return emitOpError("expects an input of rank 3 or more");
  return success();
}

template <typename SoftmaxLike>
static LogicalResult verifySoftmaxAxis(SoftmaxLike op) {
  return normalizeAxis(op.getLoc(), (int64_t)op.getAxis(),
                       op.getX().getType().getRank());
}
LogicalResult SoftmaxOp::verify() { return verifySoftmaxAxis(*this); }
LogicalResult LogSoftmaxOp::verify() { return verifySoftmaxAxis(*this); }

LogicalResult CastOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  types.push_back(RankedTensorType::get(
      rankedType(adaptor.getInput()).getShape(), adaptor.getTo()));
  return success();
}

LogicalResult DropoutOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location>,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  RankedTensorType type = rankedType(adaptor.getData());
  types.push_back(type);
  types.push_back(
      RankedTensorType::get(type.getShape(), IntegerType::get(context, 1)));
  return success();
}

LogicalResult WhereOp::verify() {
  if (getX().getType().getElementType() != getY().getType().getElementType())
    return emitOpError("X and Y must have the same element type");
  return success();
}

#include "cleave/Dialect/Cleave/IR/CleaveEnums.cpp.inc"

#define GET_OP_CLASSES
#include "cleave/Dialect/Cleave/IR/CleaveOps.cpp.inc"
