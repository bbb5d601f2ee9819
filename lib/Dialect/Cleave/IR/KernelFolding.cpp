//===- KernelFolding.cpp - unary kernels evaluated on constants -----------===//
//
// An elementwise unary op on a small float constant (T5's relative
// position buckets take the log of a constant table) becomes a constant,
// computed by the unary kernel's own element function (the runtime's
// ElementwiseMath.h): the value its loop computes; where the kernel hands
// the op to oneDNN (exp, tanh, sigmoid, ...), within an ulp of it. One
// pattern serves every op whose ODS names a unary kernel operation
// (Cleave_Kernel<"CLEAVE_UNARY_...">).
//
//===----------------------------------------------------------------------===//

#include "ElementwiseMath.h"
#include "cleave/Dialect/Cleave/IR/CleaveDialect.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace cleave::graph;

namespace {

/// CLEAVE_UNARY_<NAME> for the enumerator's spelling, or -1.
int unaryKernelOp(StringRef kernel) {
  return llvm::StringSwitch<int>(kernel)
#define CLEAVE_UNARY_OP(NAME) .Case("CLEAVE_UNARY_" #NAME, CLEAVE_UNARY_##NAME)
#include "cleave/Runtime/UnaryOps.def"
      .Default(-1);
}

struct FoldUnaryKernelOnConstant
    : OpInterfaceRewritePattern<KernelOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(KernelOpInterface op,
                                PatternRewriter &rewriter) const override {
    int kind = unaryKernelOp(op.getRuntimeKernel());
    Operation *operation = op.getOperation();
    if (kind < 0 || operation->getNumOperands() != 1 ||
        operation->getNumResults() != 1)
      return failure();
    auto type = dyn_cast<RankedTensorType>(operation->getResult(0).getType());
    Attribute attr;
    if (!type || !type.getElementType().isF32() ||
        !matchPattern(operation->getOperand(0), m_Constant(&attr)))
      return failure();
    DenseElementsAttr input = toDenseElements(attr);
    if (!input || !input.getElementType().isF32())
      return failure();
    auto [alpha, beta] = op.getKernelScalars();
    auto apply = [&](float x) { return cleave::unaryOp(kind, x, alpha, beta); };
    DenseElementsAttr result;
    if (input.isSplat()) {
      result =
          DenseElementsAttr::get(type, apply(input.getSplatValue<float>()));
    } else {
      SmallVector<float> values;
      values.reserve(type.getNumElements());
      for (float x : input.getValues<float>())
        values.push_back(apply(x));
      result = DenseElementsAttr::get(type, ArrayRef<float>(values));
    }
    rewriter.replaceOpWithNewOp<ConstantOp>(operation, result);
    return success();
  }
};

} // namespace

void CleaveDialect::getCanonicalizationPatterns(
    RewritePatternSet &results) const {
  results.add<FoldUnaryKernelOnConstant>(getContext());
}
