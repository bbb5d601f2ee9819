//===- ActivationPatterns.cpp - GELU and SiLU written out become one op ---===//
//
// Exporters write GELU as elementwise ops: the exact form
//   0.5 * x * (1 + erf(x / sqrt(2)))
// and the tanh approximation (GPT-2's)
//   0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))),
// and SiLU (EfficientNet's, Llama's) as x * sigmoid(x). As
// canonicalizations of the final Mul, each becomes one cleave.gelu or
// cleave.swish before anything else runs: one kernel forward (one pass
// over memory, not two or a dozen), and one gradient.
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"
#include "mlir/IR/PatternMatch.h"
#include <cmath>
#include <optional>

using namespace mlir;
using namespace cleave::graph;

namespace {

/// Whether `v` is a constant whose every element is `expected` (float
/// constants written in f32 round, hence the tolerance).
bool isConstant(Value v, double expected) {
  std::optional<SmallVector<double>> values = getConstantFloats(v);
  if (!values || values->empty())
    return false;
  return llvm::all_of(*values, [&](double x) {
    return std::fabs(x - expected) <= 1e-6 * std::fabs(expected);
  });
}

/// The operands of a binary op `v`'s defining op of type Op, both orders.
template <typename Op>
SmallVector<std::pair<Value, Value>, 2> operandPairs(Value v) {
  auto op = v.getDefiningOp<Op>();
  if (!op)
    return {};
  return {{op.getA(), op.getB()}, {op.getB(), op.getA()}};
}

/// x when `v` is x * c (either order) or x / (1 / c).
Value scaled(Value v, double c) {
  for (auto [x, k] : operandPairs<MulOp>(v))
    if (isConstant(k, c))
      return x;
  if (auto div = v.getDefiningOp<DivOp>())
    if (isConstant(div.getB(), 1.0 / c))
      return div.getA();
  return nullptr;
}

/// Whether `v` is x^3: Pow(x, 3) or a product of three x's.
bool isCube(Value v, Value x) {
  if (auto pow = v.getDefiningOp<PowOp>())
    return pow.getX() == x && isConstant(pow.getY(), 3.0);
  for (auto [a, b] : operandPairs<MulOp>(v)) {
    if (a != x)
      continue;
    for (auto [c, d] : operandPairs<MulOp>(b))
      if (c == x && d == x)
        return true;
  }
  return false;
}

/// When `v` is 1 + erf(x / sqrt 2) or 1 + tanh(sqrt(2/pi) (x + k x^3)),
/// x and the approximation.
std::optional<std::pair<Value, GeluApproximation>> onePlusCdf(Value v) {
  for (auto [one, t] : operandPairs<AddOp>(v)) {
    if (!isConstant(one, 1.0))
      continue;
    if (auto erf = t.getDefiningOp<ErfOp>())
      if (Value x = scaled(erf.getX(), M_SQRT1_2))
        return std::pair(x, GeluApproximation::None);
    auto tanh = t.getDefiningOp<TanhOp>();
    if (!tanh)
      continue;
    Value sum = scaled(tanh.getX(), std::sqrt(2.0 / M_PI));
    for (auto [x, term] : operandPairs<AddOp>(sum))
      if (Value cube = scaled(term, 0.044715); cube && isCube(cube, x))
        return std::pair(x, GeluApproximation::Tanh);
  }
  return std::nullopt;
}

/// The GELU, matched at its last Mul in each grouping of the factors x,
/// 0.5 and 1 + cdf(x), with either operand order of each Mul.
struct RecognizeGelu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type || !isa<FloatType>(type.getElementType()))
      return failure();
    // GELU of x when `term` is 1 + cdf(x).
    auto gelu = [&](Value x, Value term) -> LogicalResult {
      std::optional<std::pair<Value, GeluApproximation>> cdf =
          onePlusCdf(term);
      if (!cdf || cdf->first != x || x.getType() != op.getType())
        return failure();
      rewriter.replaceOpWithNewOp<GeluOp>(op, op.getType(), x, cdf->second);
      return success();
    };
    for (auto [outer, inner] : operandPairs<MulOp>(op.getResult()))
      for (auto [a, b] : operandPairs<MulOp>(inner)) {
        if (isConstant(outer, 0.5) && succeeded(gelu(a, b)))
          return success(); // 0.5 * (x * (1 + cdf))
        if (isConstant(a, 0.5) &&
            (succeeded(gelu(outer, b)) ||  // x * (0.5 * (1 + cdf))
             succeeded(gelu(b, outer))))   // (0.5 * x) * (1 + cdf)
          return success();
      }
    return failure();
  }
};

/// x * sigmoid(x), either order: SiLU, a Swish of alpha 1.
struct RecognizeSilu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type || !isa<FloatType>(type.getElementType()))
      return failure();
    for (auto [x, gate] : operandPairs<MulOp>(op.getResult())) {
      auto sigmoid = gate.getDefiningOp<SigmoidOp>();
      if (sigmoid && sigmoid.getX() == x && x.getType() == op.getType()) {
        rewriter.replaceOpWithNewOp<SwishOp>(op, x, APFloat(1.0f));
        return success();
      }
    }
    return failure();
  }
};

} // namespace

void MulOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                        MLIRContext *context) {
  patterns.add<RecognizeGelu, RecognizeSilu>(context);
}
