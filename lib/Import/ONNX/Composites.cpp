//===- Composites.cpp - ONNX functions built from graph ops ---------------===//
//
// Operators that ONNX defines as functions of others, imported as those
// ops so that the passes, kernels and gradient rules need nothing new:
// Celu, MeanVarianceNormalization, ReverseSequence, the spectral windows
// (folded to constants) and the linear quantization ops.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "TensorImport.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"
#include <cmath>

using namespace mlir;
using namespace cleave::graph;

namespace cleave::onnx_import {

namespace {

/// `v` reshaped so its one axis lies at `axis` of a tensor of `rank` axes
/// (a per-channel scale or zero point against the data), or `v` itself
/// when it is a scalar.
Value alongAxis(NodeState &node, Value v, int64_t axis, int64_t rank) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getRank() == 0 || type.getNumElements() == 1)
    return v;
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = type.getNumElements();
  return ReshapeOp::create(node.builder, node.loc, v, node.constantI64(shape),
                           uint64_t(0));
}

/// The axis attribute normalised against `rank`, or a failure; 0 when
/// `scale` has one element (the axis then does not matter).
FailureOr<int64_t> axisOf(NodeState &node, Value scale, int64_t fallback,
                          int64_t rank) {
  FailureOr<int64_t> axis = node.intAttr("axis", fallback);
  if (failed(axis))
    return failure();
  if (cast<RankedTensorType>(scale.getType()).getNumElements() == 1)
    return 0;
  int64_t a = *axis < 0 ? *axis + rank : *axis;
  if (a < 0 || a >= std::max<int64_t>(rank, 1))
    return node.fail("axis " + Twine(*axis) + " is out of range for rank " +
                     Twine(rank));
  return a;
}

/// round(x / scale) + zero point, saturated to `quantized`'s range and cast
/// to it (x, scale and zero point broadcast).
Value quantize(NodeState &node, Value x, Value scale, Value zeroPoint,
               IntegerType quantized) {
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  Type f32 = b.getF32Type();
  Value q = RoundOp::create(b, loc, DivOp::create(b, loc, x, scale));
  if (zeroPoint)
    q = AddOp::create(b, loc, q, CastOp::create(b, loc, zeroPoint, f32, 1));
  double lo = quantized.isUnsigned() ? 0 : -std::ldexp(1.0, quantized.getWidth() - 1);
  double hi = quantized.isUnsigned() ? std::ldexp(1.0, quantized.getWidth()) - 1
                                     : std::ldexp(1.0, quantized.getWidth() - 1) - 1;
  q = ClipOp::create(b, loc, q, node.constantScalar(lo, f32),
                     node.constantScalar(hi, f32));
  return CastOp::create(b, loc, q, quantized, 1);
}

/// Opset 21's blocked quantization (block_size) is refused.
LogicalResult refuseBlocks(NodeState &node) {
  FailureOr<int64_t> block = node.intAttr("block_size", 0);
  if (failed(block))
    return failure();
  if (*block)
    return node.fail("blocked quantization (block_size) is not supported");
  return success();
}

} // namespace

/// Celu: alpha * Elu(x / alpha), which is max(0, x) + min(0, alpha *
/// (exp(x / alpha) - 1)).
LogicalResult buildCelu(NodeState &node, SmallVectorImpl<Value> &results) {
  FailureOr<double> alpha = node.floatAttr("alpha", 1.0);
  if (failed(alpha))
    return failure();
  if (*alpha == 0)
    return node.fail("alpha must not be 0");
  OpBuilder &b = node.builder;
  Value x = node.operands[0];
  Value a = node.constantScalar(*alpha, elementTypeOf(x));
  Value elu = EluOp::create(b, node.loc, DivOp::create(b, node.loc, x, a),
                            APFloat(1.0f));
  results.push_back(MulOp::create(b, node.loc, a, elu));
  return success();
}

/// MeanVarianceNormalization, as its ONNX function: (x - mean) /
/// (sqrt(mean(x^2) - mean^2) + 1e-9) over `axes` (default 0, 2, 3).
LogicalResult buildMeanVarianceNormalization(NodeState &node,
                                             SmallVectorImpl<Value> &results) {
  Value x = node.operands[0];
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  FailureOr<DenseI64ArrayAttr> axesAttr =
      node.optionalAttr<DenseI64ArrayAttr>("axes", "INTS");
  if (failed(axesAttr))
    return failure();
  SmallVector<int64_t> axes =
      *axesAttr ? SmallVector<int64_t>(axesAttr->asArrayRef())
                : SmallVector<int64_t>{0, 2, 3};
  for (int64_t axis : axes)
    if (axis < -rank || axis >= rank)
      return node.fail("axis " + Twine(axis) + " is out of range for rank " +
                       Twine(rank));
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  auto mean = [&](Value v) {
    return ReduceMeanOp::create(b, loc, v, node.constantI64(axes), 1, 0);
  };
  Value mu = mean(x);
  Value variance = SubOp::create(b, loc, mean(MulOp::create(b, loc, x, x)),
                                 MulOp::create(b, loc, mu, mu));
  Value deviation =
      AddOp::create(b, loc, SqrtOp::create(b, loc, variance),
                    node.constantScalar(1e-9, elementTypeOf(x)));
  results.push_back(
      DivOp::create(b, loc, SubOp::create(b, loc, x, mu), deviation));
  return success();
}

/// BatchNormalization-14/15. In training mode (training_mode = 1, ONNX's
/// semantics): normalized with the batch's mean and population variance
/// over every axis but the channel, and the running statistics returned
/// as input * momentum + batch * (1 - momentum). Otherwise the graph op.
LogicalResult buildBatchNormalization(NodeState &node,
                                      SmallVectorImpl<Value> &results) {
  FailureOr<int64_t> training = node.intAttr("training_mode", 0);
  if (failed(training))
    return failure();
  if (!*training) {
    node.attributes.erase("training_mode");
    FailureOr<Operation *> op =
        node.createOp(BatchNormalizationOp::getOperationName(), node.operands,
                      node.attributes);
    if (failed(op))
      return failure();
    llvm::append_range(results, (*op)->getResults());
    return success();
  }
  FailureOr<double> epsilon = node.floatAttr("epsilon", 1e-5);
  FailureOr<double> momentum = node.floatAttr("momentum", 0.9);
  if (failed(epsilon) || failed(momentum))
    return failure();
  Value x = node.operands[0];
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() < 2)
    return node.fail("X must have rank 2 or more");
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  Type element = type.getElementType();
  int64_t channels = type.getDimSize(1);
  for (Value v : ArrayRef<Value>(node.operands).slice(1, 4))
    if (cast<RankedTensorType>(v.getType()) !=
        RankedTensorType::get({channels}, element))
      return node.fail("scale, B, input_mean and input_var must be [" +
                       Twine(channels) + "] of X's type in training mode");
  SmallVector<int64_t> axes = {0}, broadcast(type.getRank(), 1);
  for (int64_t i = 2; i < type.getRank(); ++i)
    axes.push_back(i);
  broadcast[1] = channels;
  auto asColumn = [&](Value v) {
    return ReshapeOp::create(b, loc, v, node.constantI64(broadcast),
                             uint64_t(0));
  };
  auto asVector = [&](Value v) {
    return ReshapeOp::create(b, loc, v, node.constantI64({channels}),
                             uint64_t(0));
  };
  Value mean = ReduceMeanOp::create(b, loc, x, node.constantI64(axes), 1, 0);
  Value centred = SubOp::create(b, loc, x, mean);
  Value variance =
      ReduceMeanOp::create(b, loc, MulOp::create(b, loc, centred, centred),
                           node.constantI64(axes), 1, 0);
  Value inverse = ReciprocalOp::create(
      b, loc,
      SqrtOp::create(b, loc,
                     AddOp::create(b, loc, variance,
                                   node.constantScalar(*epsilon, element))));
  results.push_back(AddOp::create(
      b, loc,
      MulOp::create(b, loc, MulOp::create(b, loc, centred, inverse),
                    asColumn(node.operands[1])),
      asColumn(node.operands[2])));
  auto update = [&](Value running, Value batch) {
    return AddOp::create(
        b, loc,
        MulOp::create(b, loc, running, node.constantScalar(*momentum, element)),
        MulOp::create(b, loc, asVector(batch),
                      node.constantScalar(1 - *momentum, element)));
  };
  results.push_back(update(node.operands[3], mean));
  results.push_back(update(node.operands[4], variance));
  return success();
}

/// ReverseSequence: along `time_axis`, each batch item's first
/// sequence_lens[b] elements reversed, the rest kept: a GatherElements of
/// t < len ? len - 1 - t : t (lengths may be run-time values).
LogicalResult buildReverseSequence(NodeState &node,
                                   SmallVectorImpl<Value> &results) {
  FailureOr<int64_t> batchAttr = node.intAttr("batch_axis", 1);
  FailureOr<int64_t> timeAttr = node.intAttr("time_axis", 0);
  if (failed(batchAttr) || failed(timeAttr))
    return failure();
  Value x = node.operands[0];
  auto type = cast<RankedTensorType>(x.getType());
  int64_t batchAxis = *batchAttr, timeAxis = *timeAttr;
  if (type.getRank() < 2 || batchAxis == timeAxis ||
      !llvm::is_contained({0, 1}, batchAxis) ||
      !llvm::is_contained({0, 1}, timeAxis))
    return node.fail("batch_axis and time_axis must be 0 and 1, in either "
                     "order, of an input of rank 2 or more");
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  int64_t rank = type.getRank(), steps = type.getDimSize(timeAxis);
  SmallVector<int64_t> timeShape(rank, 1), batchShape(rank, 1);
  timeShape[timeAxis] = steps;
  batchShape[batchAxis] = type.getDimSize(batchAxis);
  SmallVector<int64_t> times;
  for (int64_t t = 0; t < steps; ++t)
    times.push_back(t);
  Value t = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get(timeShape, b.getI64Type()),
                             ArrayRef<int64_t>(times)));
  Value lengths = node.operands[1];
  if (!elementTypeOf(lengths).isInteger(64))
    lengths = CastOp::create(b, loc, lengths, b.getI64Type(), 1);
  lengths = ReshapeOp::create(b, loc, lengths, node.constantI64(batchShape),
                              uint64_t(0));
  Value reversed = SubOp::create(
      b, loc, SubOp::create(b, loc, lengths, node.constantI64({1}, true)), t);
  Value source = WhereOp::create(b, loc, LessOp::create(b, loc, t, lengths),
                                 reversed, t);
  Value full = ExpandOp::create(b, loc, source,
                                node.constantI64(type.getShape()));
  results.push_back(GatherElementsOp::create(b, loc, x, full, timeAxis));
  return success();
}

/// HannWindow, HammingWindow and BlackmanWindow (opset 17) of a constant
/// size: sum_k a_k cos(2 pi k n / N) with N = size (periodic) or size - 1,
/// computed in double and stored as a constant of output_datatype.
template <int Kind>
LogicalResult buildWindow(NodeState &node, SmallVectorImpl<Value> &results) {
  FailureOr<int64_t> periodic = node.intAttr("periodic", 1);
  FailureOr<int64_t> dtype = node.intAttr("output_datatype", 1);
  if (failed(periodic) || failed(dtype))
    return failure();
  std::optional<SmallVector<int64_t>> size = getConstantInts(node.operands[0]);
  if (!size || size->size() != 1 || size->front() < 0)
    return node.fail("size must be a constant, non-negative scalar (fix a "
                     "graph input it comes from with --input-value)");
  std::string error;
  FailureOr<Type> element =
      importElementType(*dtype, node.builder.getContext(), error);
  if (failed(element))
    return node.fail("output_datatype: " + error);
  // Hann: 0.5, 0.5; Hamming: 25/46, 21/46; Blackman: 0.42, 0.5, 0.08.
  static const double coefficients[3][3] = {
      {0.5, 0.5, 0}, {25.0 / 46, 21.0 / 46, 0}, {0.42, 0.5, 0.08}};
  const double *a = coefficients[Kind];
  int64_t n = size->front();
  double period = (double)(*periodic ? n : n - 1);
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < n; ++i) {
    double phase = period > 0 ? 2 * M_PI * (double)i / period : 0;
    double w = a[0] - a[1] * std::cos(phase) + a[2] * std::cos(2 * phase);
    values.push_back(isa<FloatType>(*element)
                         ? Attribute(FloatAttr::get(*element, w))
                         : Attribute(IntegerAttr::get(*element, (int64_t)w)));
  }
  results.push_back(ConstantOp::create(
      node.builder, node.loc,
      DenseElementsAttr::get(RankedTensorType::get({n}, *element), values)));
  return success();
}
/// MelWeightMatrix (opset 17) of constant inputs: [dft_length / 2 + 1,
/// num_mel_bins] triangular filters between mel-spaced bin edges, as ONNX's
/// reference computes them (the edges' mels in float, as NumPy does for
/// float32 inputs, the rest in double, bins floored to integers).
LogicalResult buildMelWeightMatrix(NodeState &node,
                                   SmallVectorImpl<Value> &results) {
  FailureOr<int64_t> dtype = node.intAttr("output_datatype", 1);
  if (failed(dtype))
    return failure();
  std::optional<SmallVector<int64_t>> bins = getConstantInts(node.operands[0]);
  std::optional<SmallVector<int64_t>> length =
      getConstantInts(node.operands[1]);
  std::optional<SmallVector<int64_t>> rate = getConstantInts(node.operands[2]);
  std::optional<SmallVector<double>> low = getConstantFloats(node.operands[3]);
  std::optional<SmallVector<double>> high = getConstantFloats(node.operands[4]);
  if (!bins || !length || !rate || !low || !high || bins->size() != 1 ||
      length->size() != 1 || rate->size() != 1 || low->size() != 1 ||
      high->size() != 1)
    return node.fail("its inputs must be constant scalars (fix graph inputs "
                     "they come from with --input-value)");
  int64_t melBins = bins->front(), dftLength = length->front(),
          sampleRate = rate->front();
  if (melBins < 1 || dftLength < 1 || sampleRate < 1)
    return node.fail("num_mel_bins, dft_length and sample_rate must be "
                     "positive");
  std::string error;
  FailureOr<Type> element =
      importElementType(*dtype, node.builder.getContext(), error);
  if (failed(element))
    return node.fail("output_datatype: " + error);
  auto mel = [](double hertz) {
    return 2595.0f * std::log10(1.0f + (float)hertz / 700.0f);
  };
  float lowMel = mel(low->front());
  float step = (mel(high->front()) - lowMel) / (float)(melBins + 2);
  SmallVector<int64_t> edges;
  for (int64_t i = 0; i < melBins + 2; ++i) {
    double hertz =
        700 * (std::pow(10.0, ((double)i * step + lowMel) / 2595) - 1);
    edges.push_back(
        (int64_t)std::floor((double)(dftLength + 1) * hertz / sampleRate));
  }
  int64_t spectrumBins = dftLength / 2 + 1;
  std::vector<double> weights(spectrumBins * melBins, 0.0);
  auto set = [&](int64_t row, int64_t column, double value) {
    if (row < 0 || row >= spectrumBins)
      return false;
    weights[row * melBins + column] = value;
    return true;
  };
  for (int64_t i = 0; i < melBins; ++i) {
    int64_t left = edges[i], centre = edges[i + 1], right = edges[i + 2];
    bool inside = true;
    if (centre == left)
      inside &= set(centre, i, 1);
    for (int64_t j = left; centre != left && j <= centre; ++j)
      inside &= set(j, i, double(j - left) / double(centre - left));
    for (int64_t j = centre; j < right; ++j)
      inside &= set(j, i, double(right - j) / double(right - centre));
    if (!inside)
      return node.fail("upper_edge_hertz reaches past the spectrum's " +
                       Twine(spectrumBins) + " bins");
  }
  SmallVector<Attribute> values;
  for (double w : weights)
    values.push_back(isa<FloatType>(*element)
                         ? Attribute(FloatAttr::get(*element, w))
                         : Attribute(IntegerAttr::get(*element, (int64_t)w)));
  results.push_back(ConstantOp::create(
      node.builder, node.loc,
      DenseElementsAttr::get(
          RankedTensorType::get({spectrumBins, melBins}, *element), values)));
  return success();
}

/// TfIdfVectorizer over an integer pool: its attributes as the op's, the
/// weights (when given) as a constant operand.
LogicalResult buildTfIdfVectorizer(NodeState &node,
                                   SmallVectorImpl<Value> &results) {
  if (node.attributes.get("pool_strings"))
    return node.fail("pool_strings: Cleave has no string tensors; only "
                     "pool_int64s is supported");
  auto weights = node.optionalAttr<DenseF32ArrayAttr>("weights", "FLOATS");
  if (failed(weights))
    return failure();
  for (StringRef name :
       {"mode", "min_gram_length", "max_gram_length", "max_skip_count",
        "ngram_counts", "ngram_indexes", "pool_int64s"})
    if (!node.attributes.get(name))
      return node.fail("needs the attribute " + name);
  OpBuilder &b = node.builder;
  Value weightValues =
      *weights ? Value(ConstantOp::create(
                     b, node.loc,
                     DenseElementsAttr::get(
                         RankedTensorType::get({(int64_t)weights->size()},
                                               b.getF32Type()),
                         weights->asArrayRef())))
               : Value(NoneOp::create(b, node.loc));
  // The op checks the rest (the pool's segments, the indexes, the
  // weights' length) before it exists.
  NamedAttrList attributes(node.attributes);
  attributes.erase("weights");
  FailureOr<Operation *> op =
      node.createOp(TfIdfVectorizerOp::getOperationName(),
                    {node.operands[0], weightValues}, attributes);
  if (failed(op))
    return failure();
  results.push_back((*op)->getResult(0));
  return success();
}

template LogicalResult buildWindow<0>(NodeState &, SmallVectorImpl<Value> &);
template LogicalResult buildWindow<1>(NodeState &, SmallVectorImpl<Value> &);
template LogicalResult buildWindow<2>(NodeState &, SmallVectorImpl<Value> &);

/// MaxUnpool: X's values written into zeros at the flat positions I (over
/// the whole output, as MaxPool's indices count) of the output the window
/// implies, (in - 1) * stride - pads + kernel per spatial axis; a larger
/// output_shape pads that at the end of each axis.
LogicalResult buildMaxUnpool(NodeState &node, SmallVectorImpl<Value> &results) {
  Value x = node.operands[0], indices = node.operands[1];
  auto type = cast<RankedTensorType>(x.getType());
  int64_t spatial = type.getRank() - 2;
  FailureOr<SmallVector<int64_t>> kernel =
      node.intsAttr("kernel_shape", std::max<int64_t>(spatial, 0));
  FailureOr<SmallVector<int64_t>> strides =
      node.intsAttr("strides", std::max<int64_t>(spatial, 0));
  FailureOr<SmallVector<int64_t>> pads =
      node.intsAttr("pads", 2 * std::max<int64_t>(spatial, 0));
  if (failed(kernel) || failed(strides) || failed(pads))
    return failure();
  if (spatial < 1 || !node.attributes.get("kernel_shape"))
    return node.fail("needs kernel_shape and an input with spatial axes");
  SmallVector<int64_t> shape(type.getShape().take_front(2));
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t stride = (*strides)[i] ? (*strides)[i] : 1;
    shape.push_back((type.getDimSize(2 + i) - 1) * stride - (*pads)[i] -
                    (*pads)[spatial + i] + (*kernel)[i]);
  }
  int64_t total = 1;
  for (int64_t d : shape)
    total *= d;
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  auto flat = [&](Value v) {
    return ReshapeOp::create(b, loc, v, node.constantI64({-1}), uint64_t(0));
  };
  Value zeros = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({total}, type.getElementType()),
                             b.getZeroAttr(type.getElementType())));
  Value scattered = ScatterElementsOp::create(b, loc, zeros, flat(indices),
                                              flat(x), 0,
                                              ScatterReduction::None);
  Value y = ReshapeOp::create(b, loc, scattered, node.constantI64(shape),
                              uint64_t(0));
  if (node.operands.size() > 2 && node.operands[2]) {
    std::optional<SmallVector<int64_t>> given =
        getConstantInts(node.operands[2]);
    if (!given || given->size() != shape.size())
      return node.fail("output_shape must be a constant of the input's rank "
                       "(fix a graph input it comes from with --input-value)");
    SmallVector<int64_t> padding(2 * shape.size(), 0);
    for (size_t i = 0; i < shape.size(); ++i) {
      if ((*given)[i] < shape[i])
        return node.fail("output_shape is smaller than the unpooled shape");
      padding[shape.size() + i] = (*given)[i] - shape[i];
    }
    Value none = NoneOp::create(b, loc);
    y = PadOp::create(b, loc, y, node.constantI64(padding), none, none,
                      PadMode::Constant);
  }
  results.push_back(y);
  return success();
}

/// The DFT of `x` ([..., 1 or 2]: real or complex, float) along `axis`:
/// products with constant cosine and sine matrices of the transform's
/// length (the signal cut or zero-padded to it), X_k = sum_j x_j
/// e^(-+2 pi i jk / L) (divided by L when inverse), the first L / 2 + 1
/// frequencies when onesided; [..., 2] out.
Value dftAlong(NodeState &node, Value x, int64_t axis, int64_t length,
               bool inverse, bool onesided) {
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  int64_t parts = type.getDimSize(rank - 1);
  int64_t frequencies = onesided ? length / 2 + 1 : length;
  Type element = type.getElementType();
  // The real and imaginary parts, [...], the transformed axis last.
  SmallVector<int64_t> perm;
  for (int64_t i = 0; i < rank - 1; ++i)
    if (i != axis)
      perm.push_back(i);
  perm.push_back(axis);
  auto part = [&](int64_t index) -> Value {
    Value p = GatherOp::create(b, loc, x, node.constantI64({index}, true),
                               rank - 1);
    Value last = TransposeOp::create(b, loc, p, b.getDenseI64ArrayAttr(perm));
    int64_t have = type.getDimSize(axis);
    if (have > length)
      return GatherOp::create(
          b, loc, last,
          node.constantI64(llvm::to_vector(llvm::seq<int64_t>(0, length))),
          rank - 2);
    if (have < length) {
      SmallVector<int64_t> pads(2 * (rank - 1), 0);
      pads.back() = length - have;
      Value none = NoneOp::create(b, loc);
      return PadOp::create(b, loc, last, node.constantI64(pads), none, none,
                           PadMode::Constant);
    }
    return last;
  };
  Value real = part(0), imag = parts == 2 ? part(1) : Value();
  SmallVector<Attribute> cosines, sines;
  double scale = inverse ? 1.0 / (double)length : 1.0;
  for (int64_t j = 0; j < length; ++j)
    for (int64_t k = 0; k < frequencies; ++k) {
      // jk mod L keeps the angle small, so the double stays exact.
      double angle = 2 * M_PI * (double)((j * k) % length) / (double)length;
      cosines.push_back(FloatAttr::get(element, std::cos(angle) * scale));
      sines.push_back(FloatAttr::get(element, std::sin(angle) * scale));
    }
  auto matrixType = RankedTensorType::get({length, frequencies}, element);
  Value cos = ConstantOp::create(b, loc,
                                 DenseElementsAttr::get(matrixType, cosines));
  Value sin = ConstantOp::create(b, loc,
                                 DenseElementsAttr::get(matrixType, sines));
  auto product = [&](Value v, Value m) {
    return MatMulOp::create(b, loc, v, m, false, false);
  };
  // Forward: Re = xr cos + xi sin, Im = xi cos - xr sin; inverse: the
  // sines change sign.
  Value re = product(real, cos), im;
  Value realSin = product(real, sin);
  im = inverse ? realSin : Value(NegOp::create(b, loc, realSin));
  if (imag) {
    Value imagSin = product(imag, sin);
    re = inverse ? Value(SubOp::create(b, loc, re, imagSin))
                  : Value(AddOp::create(b, loc, re, imagSin));
    im = AddOp::create(b, loc, im, product(imag, cos));
  }
  // Back to the input's axis order, with [re, im] as the last axis.
  SmallVector<int64_t> back(rank - 1);
  for (int64_t i = 0; i < rank - 1; ++i)
    back[perm[i]] = i;
  auto restore = [&](Value v) {
    Value t = TransposeOp::create(b, loc, v, b.getDenseI64ArrayAttr(back));
    return UnsqueezeOp::create(b, loc, t, node.constantI64({rank - 1}));
  };
  return ConcatOp::create(b, loc, ValueRange{restore(re), restore(im)},
                          rank - 1);
}


/// DFT (opsets 17 and 20) along one axis of a real ([..., 1]) or complex
/// ([..., 2]) signal (dftAlong).
LogicalResult buildDFT(NodeState &node, SmallVectorImpl<Value> &results) {
  Value x = node.operands[0];
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  FailureOr<int64_t> inverse = node.intAttr("inverse", 0);
  FailureOr<int64_t> onesided = node.intAttr("onesided", 0);
  FailureOr<int64_t> axisAttr = node.intAttr("axis", node.opset >= 20 ? -2 : 1);
  if (failed(inverse) || failed(onesided) || failed(axisAttr))
    return failure();
  int64_t axis = *axisAttr;
  if (node.opset >= 20 && node.operands.size() > 2 && node.operands[2]) {
    std::optional<SmallVector<int64_t>> given =
        getConstantInts(node.operands[2]);
    if (!given || given->size() != 1)
      return node.fail("axis must be a constant scalar");
    axis = given->front();
  }
  if (axis < 0)
    axis += rank;
  int64_t parts = rank ? type.getDimSize(rank - 1) : 0;
  if (rank < 3 || (parts != 1 && parts != 2) || axis < 1 || axis >= rank - 1)
    return node.fail("needs a [batch, ..., 1 or 2] signal and an axis "
                     "between the batch and the last axis");
  if (!isa<FloatType>(type.getElementType()))
    return node.fail("the signal must be a float tensor");
  int64_t length = type.getDimSize(axis);
  if (node.operands.size() > 1 && node.operands[1]) {
    std::optional<SmallVector<int64_t>> given =
        getConstantInts(node.operands[1]);
    if (!given || given->size() != 1 || given->front() < 1)
      return node.fail("dft_length must be a constant, positive scalar (fix "
                       "a graph input it comes from with --input-value)");
    length = given->front();
  }
  if (*inverse && *onesided)
    return node.fail("an inverse transform cannot be onesided");
  results.push_back(dftAlong(node, x, axis, length, *inverse, *onesided));
  return success();
}

/// STFT (opset 17): the signal [batch, length, 1 or 2] cut into frames of
/// frame_length every frame_step (a Gather of constant positions), each
/// multiplied by the window, then transformed (dftAlong): [batch, frames,
/// bins, 2].
LogicalResult buildSTFT(NodeState &node, SmallVectorImpl<Value> &results) {
  FailureOr<int64_t> onesided = node.intAttr("onesided", 1);
  if (failed(onesided))
    return failure();
  Value signal = node.operands[0];
  auto type = cast<RankedTensorType>(signal.getType());
  std::optional<SmallVector<int64_t>> step = getConstantInts(node.operands[1]);
  Value window = node.operands.size() > 2 ? node.operands[2] : Value();
  std::optional<SmallVector<int64_t>> frameLength;
  if (node.operands.size() > 3 && node.operands[3])
    frameLength = getConstantInts(node.operands[3]);
  int64_t size = frameLength && frameLength->size() == 1 ? frameLength->front()
                 : window ? cast<RankedTensorType>(window.getType()).getDimSize(0)
                          : 0;
  if (!step || step->size() != 1 || step->front() < 1 || size < 1)
    return node.fail("frame_step and frame_length (or the window) must be "
                     "constants (fix graph inputs they come from with "
                     "--input-value)");
  if (type.getRank() != 3 || !isa<FloatType>(type.getElementType()) ||
      type.getDimSize(1) < size)
    return node.fail("needs a float signal [batch, length, 1 or 2] at "
                     "least one frame long");
  int64_t frames = 1 + (type.getDimSize(1) - size) / step->front();
  SmallVector<int64_t> positions;
  for (int64_t f = 0; f < frames; ++f)
    for (int64_t t = 0; t < size; ++t)
      positions.push_back(f * step->front() + t);
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  Value index = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          RankedTensorType::get({frames, size}, b.getI64Type()),
          ArrayRef<int64_t>(positions)));
  Value framed = GatherOp::create(b, loc, signal, index, 1);
  if (window)
    framed = MulOp::create(
        b, loc, framed,
        ReshapeOp::create(b, loc, window, node.constantI64({size, 1}),
                          uint64_t(0)));
  results.push_back(dftAlong(node, framed, 2, size, false, *onesided));
  return success();
}

/// QuantizeLinear (opset 10 on): saturate(round(x / scale) + zero_point),
/// per tensor or along `axis`, to the zero point's type (uint8 without
/// one; saturate only concerns float8 targets, which are refused).
LogicalResult buildQuantizeLinear(NodeState &node,
                                  SmallVectorImpl<Value> &results) {
  if (failed(refuseBlocks(node)))
    return failure();
  Value x = node.operands[0];
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  FailureOr<int64_t> axis = axisOf(node, node.operands[1], 1, rank);
  if (failed(axis))
    return failure();
  Value zeroPoint = node.operands.size() > 2 ? node.operands[2] : Value();
  FailureOr<int64_t> outputType = node.intAttr("output_dtype", 0);
  if (failed(outputType))
    return failure();
  Type target = zeroPoint ? elementTypeOf(zeroPoint)
                          : node.builder.getIntegerType(8, false);
  if (*outputType && !zeroPoint) {
    std::string error;
    FailureOr<Type> given =
        importElementType(*outputType, node.builder.getContext(), error);
    if (failed(given))
      return node.fail("output_dtype: " + error);
    target = *given;
  }
  auto quantized = dyn_cast<IntegerType>(target);
  if (!quantized || quantized.getWidth() > 16 || !elementTypeOf(x).isF32())
    return node.fail("only f32 to 8- or 16-bit integer quantization is "
                     "supported");
  results.push_back(quantize(
      node, x, alongAxis(node, node.operands[1], *axis, rank),
      zeroPoint ? alongAxis(node, zeroPoint, *axis, rank) : Value(),
      quantized));
  return success();
}

/// DequantizeLinear: (x - zero_point) * scale, per tensor or along `axis`.
LogicalResult buildDequantizeLinear(NodeState &node,
                                    SmallVectorImpl<Value> &results) {
  if (failed(refuseBlocks(node)))
    return failure();
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  Value x = node.operands[0];
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  Value scale = node.operands[1];
  FailureOr<int64_t> axis = axisOf(node, scale, 1, rank);
  if (failed(axis))
    return failure();
  Type f = elementTypeOf(scale);
  Value v = CastOp::create(b, loc, x, f, 1);
  if (node.operands.size() > 2 && node.operands[2])
    v = SubOp::create(
        b, loc, v,
        CastOp::create(b, loc, alongAxis(node, node.operands[2], *axis, rank),
                       f, 1));
  results.push_back(
      MulOp::create(b, loc, v, alongAxis(node, scale, *axis, rank)));
  return success();
}

/// DynamicQuantizeLinear, as its ONNX function: uint8 with the scale and
/// zero point that map [min(0, min x), max(0, max x)] onto [0, 255].
LogicalResult buildDynamicQuantizeLinear(NodeState &node,
                                         SmallVectorImpl<Value> &results) {
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  Value x = node.operands[0];
  if (!elementTypeOf(x).isF32())
    return node.fail("x must be f32");
  Type f32 = b.getF32Type();
  Value zero = node.constantScalar(0, f32);
  Value none = NoneOp::create(b, loc);
  Value low = MinOp::create(b, loc, ValueRange{ReduceMinOp::create(b, loc, x, none, 0, 0), zero});
  Value high = MaxOp::create(b, loc, ValueRange{ReduceMaxOp::create(b, loc, x, none, 0, 0), zero});
  Value scale = DivOp::create(b, loc, SubOp::create(b, loc, high, low),
                              node.constantScalar(255, f32));
  Value zeroPointF = RoundOp::create(
      b, loc,
      ClipOp::create(b, loc,
                     SubOp::create(b, loc, zero, DivOp::create(b, loc, low, scale)),
                     zero, node.constantScalar(255, f32)));
  auto u8 = b.getIntegerType(8, false);
  Value zeroPoint = CastOp::create(b, loc, zeroPointF, u8, 1);
  results.push_back(quantize(node, x, scale, zeroPoint, cast<IntegerType>(u8)));
  results.push_back(scale);
  results.push_back(zeroPoint);
  return success();
}

namespace {
/// A per-row scale or zero point of matrix `of` ([..., M, K]), [M], along
/// its row axis; as it is when `of` is a vector or `v` a scalar.
Value perRowColumn(NodeState &node, Value v, Value of) {
  int64_t rank = cast<RankedTensorType>(of.getType()).getRank();
  if (cast<RankedTensorType>(v.getType()).getRank() != 1 || rank < 2)
    return v;
  return alongAxis(node, v, rank - 2, rank);
}

/// x - zero_point as int32, the exact integers MatMulInteger multiplies. A
/// zero point of A may hold one value per row, [M]: it subtracts as an
/// [M, 1] column; one of B per column, [N], broadcasts as it is.
Value minusZeroPoint(NodeState &node, Value x, Value zeroPoint, bool perRow) {
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  Type i32 = b.getIntegerType(32);
  Value v = CastOp::create(b, loc, x, i32, 1);
  if (!zeroPoint)
    return v;
  Value z = CastOp::create(b, loc, zeroPoint, i32, 1);
  if (perRow)
    z = perRowColumn(node, z, x);
  return SubOp::create(b, loc, v, z);
}

/// An optional operand, or a null value.
Value optionalOperand(NodeState &node, size_t i) {
  return i < node.operands.size() ? node.operands[i] : Value();
}

/// (A - a_zero_point) (B - b_zero_point), exactly, in int32.
Value integerProduct(NodeState &node, Value a, Value aZero, Value b,
                     Value bZero) {
  Value left = minusZeroPoint(node, a, aZero, /*perRow=*/true);
  Value right = minusZeroPoint(node, b, bZero, /*perRow=*/false);
  return MatMulOp::create(node.builder, node.loc, left, right, false, false);
}

} // namespace

/// MatMulInteger: int32 (A - a_zero_point) (B - b_zero_point), 8-bit
/// inputs.
LogicalResult buildMatMulInteger(NodeState &node,
                                 SmallVectorImpl<Value> &results) {
  for (size_t i = 0; i < 2; ++i)
    if (!isa<IntegerType>(elementTypeOf(node.operands[i])) ||
        elementTypeOf(node.operands[i]).getIntOrFloatBitWidth() != 8)
      return node.fail("A and B must be 8-bit integers");
  results.push_back(integerProduct(node, node.operands[0],
                                   optionalOperand(node, 2), node.operands[1],
                                   optionalOperand(node, 3)));
  return success();
}

/// The QLinear ops' common operands: two 8-bit inputs (0 and 3) and an
/// 8-bit output zero point (7), f32 scales (1, 4 and 6).
static LogicalResult checkQLinearOperands(NodeState &node, StringRef bytes) {
  for (size_t i : {0, 3, 7})
    if (!isa<IntegerType>(elementTypeOf(node.operands[i])) ||
        elementTypeOf(node.operands[i]).getIntOrFloatBitWidth() != 8)
      return node.fail(bytes + " must be 8-bit integers");
  for (size_t i : {1, 4, 6})
    if (!elementTypeOf(node.operands[i]).isF32())
      return node.fail("only f32 scales are supported");
  return success();
}

/// QLinearMatMul, as ONNX's reference computes it: the integer product
/// scaled by a_scale * b_scale / y_scale in float, rounded half to even,
/// plus y_zero_point, saturated to y's type.
LogicalResult buildQLinearMatMul(NodeState &node,
                                 SmallVectorImpl<Value> &results) {
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  // a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale,
  // y_zero_point.
  if (failed(checkQLinearOperands(node, "a, b and y")))
    return failure();
  auto out = cast<IntegerType>(elementTypeOf(node.operands[7]));
  Value product = integerProduct(node, node.operands[0], node.operands[2],
                                 node.operands[3], node.operands[5]);
  Value a = node.operands[0];
  Value aScale = perRowColumn(node, node.operands[1], a);
  Value scales = MulOp::create(b, loc, aScale, node.operands[4]);
  Value multiplier =
      DivOp::create(b, loc, scales, perRowColumn(node, node.operands[6], a));
  Type f32 = b.getF32Type();
  Value scaled = MulOp::create(b, loc, CastOp::create(b, loc, product, f32, 1),
                               multiplier);
  Value one = node.constantScalar(1, f32);
  Value yZero = perRowColumn(node, node.operands[7], a);
  results.push_back(quantize(node, scaled, one, yZero, out));
  return success();
}

/// QLinearConv, as ONNX's reference computes it: the exact integer
/// convolution plus the int32 bias, scaled by x_scale * w_scale / y_scale in
/// float (w_scale per output channel or not), rounded half to even, plus
/// y_zero_point, saturated to y's type.
LogicalResult buildQLinearConv(NodeState &node,
                               SmallVectorImpl<Value> &results) {
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  // x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale,
  // y_zero_point, B.
  if (failed(checkQLinearOperands(node, "x, w and y_zero_point")))
    return failure();
  Value x = node.operands[0];
  auto rank = cast<RankedTensorType>(x.getType()).getRank();
  auto count = [&](size_t i) {
    return cast<RankedTensorType>(node.operands[i].getType()).getNumElements();
  };
  auto wType = cast<RankedTensorType>(node.operands[3].getType());
  if (wType.getRank() < 3)
    return node.fail("w must be [M, C / group, k...]");
  int64_t outChannels = wType.getDimSize(0);
  for (size_t i : {1, 2, 6, 7})
    if (count(i) != 1)
      return node.fail("x_scale, x_zero_point, y_scale and y_zero_point "
                       "must be scalars");
  if (count(4) != 1 && count(4) != outChannels)
    return node.fail("w_scale must be a scalar or one per output channel (" +
                     Twine(outChannels) + ")");
  if (Value bias = optionalOperand(node, 8))
    if (cast<RankedTensorType>(bias.getType()) !=
        RankedTensorType::get({outChannels}, b.getI32Type()))
      return node.fail("B must be int32 [" + Twine(outChannels) + "]");
  // The window attributes are ConvInteger's.
  FailureOr<Operation *> conv =
      node.createOp(ConvIntegerOp::getOperationName(),
                    {x, node.operands[3], node.operands[2], node.operands[5]},
                    node.attributes);
  if (failed(conv))
    return failure();
  Value acc = (*conv)->getResult(0);
  // A per-channel vector [M] as [1, M, 1, ...] against [N, M, spatial...].
  auto channelwise = [&](Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getRank() != 1 || type.getNumElements() == 1)
      return v;
    SmallVector<int64_t> shape(rank, 1);
    shape[1] = type.getNumElements();
    return Value(
        ReshapeOp::create(b, loc, v, node.constantI64(shape), uint64_t(0)));
  };
  if (Value bias = optionalOperand(node, 8))
    acc = AddOp::create(b, loc, acc, channelwise(bias));
  Type f32 = b.getF32Type();
  Value scales =
      MulOp::create(b, loc, node.operands[1], channelwise(node.operands[4]));
  Value multiplier = DivOp::create(b, loc, scales, node.operands[6]);
  Value scaled =
      MulOp::create(b, loc, CastOp::create(b, loc, acc, f32, 1), multiplier);
  results.push_back(
      quantize(node, scaled, node.constantScalar(1, f32), node.operands[7],
               cast<IntegerType>(elementTypeOf(node.operands[7]))));
  return success();
}

} // namespace cleave::onnx_import
