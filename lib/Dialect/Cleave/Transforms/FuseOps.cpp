//===- FuseOps.cpp - op patterns the kernels run as one ------------------===//
//
// Each fusion saves a pass over a tensor in memory: a Relu or Clip after a
// convolution becomes the convolution's output clamp, and a Transpose next
// to a MatMul becomes the product's reading order. (GELU written as
// elementwise ops is recognised earlier, as a canonicalization.)
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include <cmath>
#include <cstring>
#include <limits>

namespace cleave::graph {
#define GEN_PASS_DEF_FUSEOPSPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;

namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();

/// The one value of a constant with a single element (or a splat).
std::optional<double> scalarConstant(Value v) {
  std::optional<SmallVector<double>> values = getConstantFloats(v);
  if (!values || values->empty() ||
      llvm::any_of(*values, [&](double x) { return x != values->front(); }))
    return std::nullopt;
  return values->front();
}

/// A Conv used only by its one user, with no clamp yet.
ConvOp soleConvOperand(Value operand) {
  auto conv = operand.getDefiningOp<ConvOp>();
  if (!conv || conv.getFusedClip() || conv.getFusedActivation() ||
      !conv->hasOneUse())
    return nullptr;
  return conv;
}

/// The f32 values of a constant (inline elements or a weights blob, any
/// size: folding a batch norm rewrites whole weight tensors once).
std::optional<std::vector<float>> constantF32(Value v) {
  auto constant = v.getDefiningOp<ConstantOp>();
  if (!constant ||
      !cast<ShapedType>(constant.getType()).getElementType().isF32())
    return std::nullopt;
  ElementsAttr value = constant.getValue();
  int64_t count = cast<ShapedType>(value.getType()).getNumElements();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || (int64_t)blob->getData().size() != count * 4)
      return std::nullopt;
    std::vector<float> data(count);
    std::memcpy(data.data(), blob->getData().data(), count * 4);
    return data;
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  return std::nullopt;
}

/// A new weights constant of `type` holding `data`.
Value weightsConstant(PatternRewriter &rewriter, Location loc,
                      RankedTensorType type, ArrayRef<float> data,
                      StringRef name) {
  auto attr = DenseResourceElementsAttr::get(
      type, name,
      HeapAsmResourceBlob::allocateAndCopyWithAlign(
          ArrayRef<char>(reinterpret_cast<const char *>(data.data()),
                         data.size() * sizeof(float)),
          alignof(float)));
  return ConstantOp::create(rewriter, loc, ElementsAttr(attr));
}

/// batch_normalization(conv(x, W, B)) with constant W, B and statistics
/// -> conv(x, W', B'): with s = scale / sqrt(var + eps),
/// W'[m] = W[m] * s[m] and B'[m] = (B[m] - mean[m]) * s[m] + bias[m].
struct FoldBatchNormIntoConv : OpRewritePattern<BatchNormalizationOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormalizationOp op,
                                PatternRewriter &rewriter) const override {
    for (Value result : op->getResults().drop_front())
      if (!result.use_empty())
        return failure();
    auto conv = op.getX().getDefiningOp<ConvOp>();
    if (!conv || !conv->hasOneUse() || conv.getZ() || conv.getFusedClip() ||
        conv.getFusedActivation() ||
        conv.getChannelsLast() != op.getChannelsLast())
      return failure();
    auto wType = cast<RankedTensorType>(conv.getW().getType());
    std::optional<std::vector<float>> w = constantF32(conv.getW());
    std::optional<std::vector<float>> scale = constantF32(op.getScale()),
                                      bias = constantF32(op.getB()),
                                      mean = constantF32(op.getInputMean()),
                                      var = constantF32(op.getInputVar());
    int64_t m = wType.getDimSize(0);
    std::vector<float> b(m, 0.0f);
    if (!isa<NoneType>(conv.getB().getType())) {
      std::optional<std::vector<float>> given = constantF32(conv.getB());
      if (!given || (int64_t)given->size() != m)
        return failure();
      b = *given;
    }
    if (!w || !scale || !bias || !mean || !var ||
        (int64_t)scale->size() != m || (int64_t)bias->size() != m ||
        (int64_t)mean->size() != m || (int64_t)var->size() != m)
      return failure();
    double epsilon = op.getEpsilon().convertToDouble();
    int64_t perChannel = (int64_t)w->size() / m;
    for (int64_t c = 0; c < m; ++c) {
      double s = (*scale)[c] / std::sqrt((double)(*var)[c] + epsilon);
      for (int64_t i = 0; i < perChannel; ++i)
        (*w)[c * perChannel + i] = (float)((*w)[c * perChannel + i] * s);
      b[c] = (float)((b[c] - (*mean)[c]) * s + (*bias)[c]);
    }
    Value weights =
        weightsConstant(rewriter, conv.getLoc(), wType, *w, "folded_bn_w");
    Value newBias = weightsConstant(
        rewriter, conv.getLoc(),
        RankedTensorType::get({m}, wType.getElementType()), b, "folded_bn_b");
    rewriter.modifyOpInPlace(conv, [&] {
      conv.getWMutable().assign(weights);
      conv.getBMutable().assign(newBias);
    });
    rewriter.replaceAllUsesWith(op.getY(), conv.getY());
    rewriter.eraseOp(op);
    return success();
  }
};

/// relu(conv(...)) -> conv(...) {fused_clip = [0, inf]}.
struct FuseConvRelu : OpRewritePattern<ReluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReluOp op,
                                PatternRewriter &rewriter) const override {
    ConvOp conv = soleConvOperand(op.getX());
    if (!conv)
      return failure();
    rewriter.modifyOpInPlace(conv, [&] {
      conv.setFusedClip(ArrayRef<float>{0.0f, kInfinity});
    });
    rewriter.replaceOp(op, conv.getY());
    return success();
  }
};

/// add(conv(...), z) -> conv(..., z) when z has the output's type (a
/// residual connection). The conv moves down to the Add if z is computed
/// after it.
struct FuseConvAdd : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [a, z] : {std::pair(op.getA(), op.getB()),
                        std::pair(op.getB(), op.getA())}) {
      ConvOp conv = soleConvOperand(a);
      if (!conv || conv.getZ() || a == z || z.getType() != op.getType() ||
          conv.getType() != op.getType())
        continue;
      rewriter.moveOpBefore(conv, op);
      rewriter.modifyOpInPlace(conv, [&] { conv.getZMutable().assign(z); });
      rewriter.replaceOp(op, conv.getY());
      return success();
    }
    return failure();
  }
};

/// swish(conv(...)) (SiLU: alpha 1) or hard_swish(conv(...)) ->
/// conv(...) {fused_activation}, after any fused clip (oneDNN's eltwise
/// post-op: EfficientNet's SiLUs were a fifth of its time as passes of
/// their own).
template <typename Op> struct FuseConvActivation : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op,
                                PatternRewriter &rewriter) const override {
    auto conv = op.getX().template getDefiningOp<ConvOp>();
    if (!conv || conv.getFusedActivation() || !conv->hasOneUse())
      return failure();
    FusedActivation activation = FusedActivation::HardSwish;
    if constexpr (std::is_same_v<Op, SwishOp>) {
      if (op.getAlpha().convertToDouble() != 1.0)
        return failure();
      activation = FusedActivation::Swish;
    }
    rewriter.modifyOpInPlace(conv,
                             [&] { conv.setFusedActivation(activation); });
    rewriter.replaceOp(op, conv.getY());
    return success();
  }
};

/// clip(conv(...), lo, hi) with constant (or absent) bounds ->
/// conv(...) {fused_clip = [lo, hi]}.
struct FuseConvClip : OpRewritePattern<ClipOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ClipOp op,
                                PatternRewriter &rewriter) const override {
    ConvOp conv = soleConvOperand(op.getX());
    if (!conv)
      return failure();
    float bounds[2] = {-kInfinity, kInfinity};
    Value operands[2] = {op.getMin(), op.getMax()};
    for (auto [i, bound] : llvm::enumerate(operands)) {
      if (isa<NoneType>(bound.getType()))
        continue;
      std::optional<double> value = scalarConstant(bound);
      if (!value)
        return failure();
      bounds[i] = (float)*value;
    }
    if (!(bounds[0] <= bounds[1]))
      return failure(); // ONNX gives max then; keep the Clip kernel's rule.
    rewriter.modifyOpInPlace(
        conv, [&] { conv.setFusedClip(ArrayRef<float>(bounds)); });
    rewriter.replaceOp(op, conv.getY());
    return success();
  }
};

/// Whether `v` is a constant equal to `expected` (to float precision).
/// MatMul(Transpose(x, p)): the product reads its operand with the last two
/// axes swapped (transpose_a / transpose_b), so only the rest of p is
/// copied, and nothing when p just swaps the last two axes (a Linear's
/// W^T, and both products of MatMul's gradient). Applies where p moves x's
/// last axis to the second-to-last place, so that the copy left, if any,
/// keeps rows whole (attention's K^T from [B, T, H, D]).
struct FoldTransposeIntoMatMul : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    auto setFlag = [&](unsigned i, bool value) {
      if (i == 0)
        op.setTransposeA(value);
      else
        op.setTransposeB(value);
    };
    for (unsigned i = 0; i < 2; ++i) {
      bool flagged = i == 0 ? op.getTransposeA() : op.getTransposeB();
      auto transpose = op->getOperand(i).getDefiningOp<TransposeOp>();
      if (!transpose)
        continue;
      SmallVector<int64_t> perm = transpose.getPermutation();
      int64_t rank = perm.size();
      if (flagged) {
        // op(Transpose(x, p)) is x itself when p swaps the last two axes.
        std::swap(perm[rank - 1], perm[rank - 2]);
        if (!llvm::equal(perm, llvm::seq<int64_t>(0, rank)))
          continue;
        rewriter.modifyOpInPlace(op, [&] {
          op->setOperand(i, transpose.getData());
          setFlag(i, false);
        });
        return success();
      }
      if (rank < 2 || perm[rank - 2] != rank - 1)
        continue;
      // p composed with the swap: what remains to copy (not when the
      // Transpose stays for its other users: that would copy twice).
      std::swap(perm[rank - 1], perm[rank - 2]);
      bool rest = !llvm::equal(perm, llvm::seq<int64_t>(0, rank));
      if (rest && !transpose->hasOneUse())
        continue;
      Value source = transpose.getData();
      if (rest)
        source = TransposeOp::create(rewriter, transpose.getLoc(), source,
                                     rewriter.getDenseI64ArrayAttr(perm));
      rewriter.modifyOpInPlace(op, [&] {
        op->setOperand(i, source);
        setFlag(i, true);
      });
      return success();
    }
    return failure();
  }
};

/// Transpose(MatMul(A, B)) swapping the last two axes is
/// MatMul(op(B)^T, op(A)^T): the flags flip and the copy goes (a Linear's
/// weight gradient, dW = (X^T dY)^T, is read as dY^T X).
struct FoldTransposeOfMatMul : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto product = op.getData().getDefiningOp<MatMulOp>();
    SmallVector<int64_t> perm = op.getPermutation();
    int64_t rank = perm.size();
    if (!product || !product->hasOneUse() || rank < 2 ||
        cast<ShapedType>(product.getA().getType()).getRank() < 2 ||
        cast<ShapedType>(product.getB().getType()).getRank() < 2)
      return failure();
    std::swap(perm[rank - 1], perm[rank - 2]);
    if (!llvm::equal(perm, llvm::seq<int64_t>(0, rank)))
      return failure();
    auto swapped = MatMulOp::create(
        rewriter, op.getLoc(), product.getB(), product.getA(),
        !product.getTransposeB(), !product.getTransposeA());
    swapped->setDiscardableAttrs(product->getDiscardableAttrDictionary());
    rewriter.replaceOp(op, swapped);
    return success();
  }
};

struct FuseOpsPass : public cleave::graph::impl::FuseOpsPassBase<FuseOpsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldBatchNormIntoConv, FuseConvAdd, FuseConvRelu, FuseConvClip,
                 FuseConvActivation<SwishOp>, FuseConvActivation<HardSwishOp>,
                 FoldTransposeIntoMatMul, FoldTransposeOfMatMul>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
