//===- ControlFlow.cpp - If, Loop, Scan and data-dependent shapes ---------===//
//
// Cleave's graphs are one block of statically shaped ops, so control flow
// is resolved at import: an If with a known condition imports its branch,
// with a run-time one both branches and a Where; Loop and Scan unroll, each
// iteration a copy of the body (docs/Architecture.md). Ops whose output
// shapes depend on values (NonZero, Compress) import when those values are
// constants.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"
#include "llvm/ADT/STLExtras.h"
#include "mlir/IR/Matchers.h"
#include <algorithm>
#include <map>
#include <vector>

using namespace mlir;
using namespace cleave::graph;

namespace cleave::onnx_import {

namespace {

/// The error of an op whose output's shape depends on the values of
/// `what`, which only a constant fixes.
LogicalResult dataDependentShape(NodeState &node, const Twine &what) {
  return node.fail("its output's shape depends on the values of " + what +
                   ", and Cleave compiles static shapes: it imports only "
                   "when they are a constant (fix a graph input they come "
                   "from with --input-value=<name>=<file.pb>)");
}

/// The flat positions of the nonzero elements of a constant, or nullopt.
std::optional<SmallVector<int64_t>> nonzeroPositions(Value v) {
  std::optional<SmallVector<double>> values = getConstantFloats(v);
  if (!values)
    return std::nullopt;
  SmallVector<int64_t> positions;
  for (auto [i, value] : llvm::enumerate(*values))
    if (value != 0)
      positions.push_back(i);
  return positions;
}

/// Iterations a Loop or Scan may be unrolled into at most: each one is a
/// copy of the body in the graph.
constexpr int64_t kMaxUnrolledIterations = 4096;

/// How a Scan reads its inputs and writes its outputs: per scan input, its
/// axis and whether it is read last first; per scan output, likewise.
struct ScanLayout {
  SmallVector<int64_t> inAxes, inReverse, outAxes, outReverse;
};

/// A Scan unrolled over the scan inputs' static length: iteration t reads
/// slice t (or L - 1 - t, reversed) of each scan input along its axis, and
/// each scan output stacks its slices along its axis (last first,
/// reversed). Sets the final states, then the scan outputs.
LogicalResult unrollScan(NodeState &node, const onnx::GraphProto &body,
                         ArrayRef<Value> initialStates,
                         ArrayRef<Value> scanInputs, ScanLayout layout,
                         SmallVectorImpl<Value> &results) {
  int64_t n = initialStates.size(), k = layout.outAxes.size();
  int64_t length = -1;
  for (auto [i, input] : llvm::enumerate(scanInputs)) {
    auto type = cast<RankedTensorType>(input.getType());
    int64_t &axis = layout.inAxes[i];
    if (axis < 0)
      axis += type.getRank();
    if (axis < 0 || axis >= type.getRank())
      return node.fail("scan input " + Twine(i) + "'s axis is out of range");
    if (length >= 0 && type.getDimSize(axis) != length)
      return node.fail("the scan inputs differ in length");
    length = type.getDimSize(axis);
  }
  if (length > kMaxUnrolledIterations)
    return node.fail("scans " + Twine(length) + " steps; Cleave unrolls at "
                     "most " + Twine(kMaxUnrolledIterations));
  if (length == 0 && k > 0)
    return node.fail("scans no step, so its scan outputs have no known shape");
  SmallVector<Value> states(initialStates);
  SmallVector<SmallVector<Value>> slices(k);
  for (int64_t t = 0; t < length; ++t) {
    SmallVector<Value> inputs(states);
    for (auto [i, input] : llvm::enumerate(scanInputs)) {
      int64_t at = layout.inReverse[i] ? length - 1 - t : t;
      inputs.push_back(GatherOp::create(node.builder, node.loc, input,
                                        node.constantI64({at}, true),
                                        layout.inAxes[i]));
    }
    SmallVector<Value> outputs;
    if (failed(node.importSubgraph(body, inputs, outputs)))
      return failure();
    if ((int64_t)outputs.size() != n + k)
      return node.fail("the body has " + Twine(outputs.size()) +
                       " outputs, not the " + Twine(n + k) +
                       " states and scan outputs");
    states.assign(outputs.begin(), outputs.begin() + n);
    for (int64_t j = 0; j < k; ++j)
      slices[j].push_back(outputs[n + j]);
  }
  results.append(states.begin(), states.end());
  for (int64_t j = 0; j < k; ++j) {
    if (layout.outReverse[j])
      std::reverse(slices[j].begin(), slices[j].end());
    int64_t rank =
        cast<RankedTensorType>(slices[j].front().getType()).getRank() + 1;
    int64_t axis = layout.outAxes[j] < 0 ? layout.outAxes[j] + rank
                                         : layout.outAxes[j];
    if (axis < 0 || axis >= rank)
      return node.fail("scan output " + Twine(j) + "'s axis is out of range");
    results.push_back(node.stack(slices[j], axis));
  }
  return success();
}

} // namespace

/// NonZero of a constant: the i64 coordinates [rank, count] of its
/// nonzero elements, in row-major order, as a constant.
LogicalResult buildNonZero(NodeState &node, SmallVectorImpl<Value> &results) {
  Value x = node.operands[0];
  std::optional<SmallVector<int64_t>> positions = nonzeroPositions(x);
  if (!positions)
    return dataDependentShape(node, "its input");
  ArrayRef<int64_t> shape = cast<RankedTensorType>(x.getType()).getShape();
  int64_t rank = std::max<int64_t>(shape.size(), 1), count = positions->size();
  SmallVector<int64_t> coordinates(rank * count, 0);
  for (auto [j, flat] : llvm::enumerate(*positions))
    for (int64_t axis = (int64_t)shape.size() - 1; axis >= 0; --axis) {
      coordinates[axis * count + j] = flat % shape[axis];
      flat /= shape[axis];
    }
  auto type = RankedTensorType::get({rank, count}, node.builder.getI64Type());
  results.push_back(ConstantOp::create(
      node.builder, node.loc,
      DenseElementsAttr::get(type, ArrayRef<int64_t>(coordinates))));
  return success();
}

/// Unique of a constant: the distinct slices along `axis` (elements
/// without one), sorted (lexicographically, as numpy) or in order of first
/// occurrence, with each one's first index, every slice's index among them
/// and their counts, all as constants.
LogicalResult buildUnique(NodeState &node, SmallVectorImpl<Value> &results) {
  Value x = node.operands[0];
  auto type = cast<RankedTensorType>(x.getType());
  Attribute attr;
  DenseElementsAttr dense;
  std::optional<SmallVector<double>> values = getConstantFloats(x);
  if (matchPattern(x, m_Constant(&attr)))
    dense = toDenseElements(attr);
  if (!values || !dense)
    return dataDependentShape(node, "its input");
  FailureOr<IntegerAttr> axisAttr = node.optionalAttr<IntegerAttr>("axis", "INT");
  FailureOr<int64_t> sorted = node.intAttr("sorted", 1);
  if (failed(axisAttr) || failed(sorted))
    return failure();
  // Slices along the axis: `outer` blocks of `length` slices of `inner`.
  SmallVector<int64_t> shape(type.getShape());
  if (!*axisAttr)
    shape = {type.getNumElements()};
  int64_t rank = shape.size(), axis = 0;
  if (*axisAttr) {
    axis = axisAttr->getInt() < 0 ? axisAttr->getInt() + rank
                                  : axisAttr->getInt();
    if (axis < 0 || axis >= rank)
      return node.fail("axis " + Twine(axisAttr->getInt()) +
                       " is out of range for rank " + Twine(rank));
  }
  int64_t outer = 1, inner = 1, length = shape[axis];
  for (int64_t i = 0; i < axis; ++i)
    outer *= shape[i];
  for (int64_t i = axis + 1; i < rank; ++i)
    inner *= shape[i];
  auto element = [&](int64_t o, int64_t j, int64_t k) {
    return (o * length + j) * inner + k;
  };
  std::vector<std::vector<double>> keys(length);
  for (int64_t j = 0; j < length; ++j)
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < inner; ++k)
        keys[j].push_back((*values)[element(o, j, k)]);
  // First occurrence of each distinct slice, in order, then sorted.
  std::map<std::vector<double>, int64_t> firstOf;
  SmallVector<int64_t> firsts;
  for (int64_t j = 0; j < length; ++j)
    if (firstOf.emplace(keys[j], j).second)
      firsts.push_back(j);
  if (*sorted) {
    firsts.clear();
    for (const auto &entry : firstOf)
      firsts.push_back(entry.second);
  }
  int64_t count = firsts.size();
  std::map<std::vector<double>, int64_t> position;
  for (auto [u, j] : llvm::enumerate(firsts))
    position[keys[j]] = u;
  SmallVector<int64_t> inverse(length), counts(count, 0);
  for (int64_t j = 0; j < length; ++j) {
    inverse[j] = position[keys[j]];
    ++counts[inverse[j]];
  }
  auto all = dense.getValues<Attribute>();
  SmallVector<Attribute> picked;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j : firsts)
      for (int64_t k = 0; k < inner; ++k)
        picked.push_back(all[element(o, j, k)]);
  shape[axis] = count;
  OpBuilder &b = node.builder;
  auto i64s = [&](ArrayRef<int64_t> v) -> Value {
    return ConstantOp::create(
        b, node.loc,
        DenseElementsAttr::get(
            RankedTensorType::get({(int64_t)v.size()}, b.getI64Type()), v));
  };
  results.push_back(ConstantOp::create(
      b, node.loc,
      DenseElementsAttr::get(
          RankedTensorType::get(shape, type.getElementType()), picked)));
  results.push_back(i64s(firsts));
  results.push_back(i64s(inverse));
  results.push_back(i64s(counts));
  return success();
}

/// Compress with a constant condition: a Gather of the kept positions
/// along `axis` (of the flattened input without one). A condition shorter
/// than the axis keeps nothing past its end.
LogicalResult buildCompress(NodeState &node, SmallVectorImpl<Value> &results) {
  std::optional<SmallVector<int64_t>> kept = nonzeroPositions(node.operands[1]);
  if (!kept)
    return dataDependentShape(node, "the condition");
  FailureOr<IntegerAttr> axisAttr = node.optionalAttr<IntegerAttr>("axis", "INT");
  if (failed(axisAttr))
    return failure();
  OpBuilder &b = node.builder;
  Value data = node.operands[0];
  auto type = cast<RankedTensorType>(data.getType());
  int64_t axis = 0;
  if (*axisAttr) {
    axis = axisAttr->getInt() < 0 ? axisAttr->getInt() + type.getRank()
                                  : axisAttr->getInt();
    if (axis < 0 || axis >= type.getRank())
      return node.fail("axis " + Twine(axisAttr->getInt()) +
                       " is out of range for rank " + Twine(type.getRank()));
  } else {
    data = ReshapeOp::create(b, node.loc, data,
                             node.constantI64({type.getNumElements()}),
                             uint64_t(0));
  }
  int64_t length = cast<RankedTensorType>(data.getType()).getDimSize(axis);
  llvm::erase_if(*kept, [&](int64_t i) { return i >= length; });
  results.push_back(GatherOp::create(b, node.loc, data,
                                     node.constantI64(*kept), axis));
  return success();
}

/// If. A condition known at compile time (a constant, or a graph input
/// fixed with --input-value) imports the branch it takes in place of the
/// node. Otherwise both branches are imported and each output is a Where
/// of the two: both run, on static shapes, and the condition picks. That
/// needs branches whose outputs have one type each.
LogicalResult buildIf(NodeState &node, SmallVectorImpl<Value> &results) {
  const onnx::GraphProto *thenBranch = node.graphAttr("then_branch");
  const onnx::GraphProto *elseBranch = node.graphAttr("else_branch");
  if (!thenBranch || !elseBranch)
    return node.fail("needs the graph attributes then_branch and "
                     "else_branch");
  Value cond = node.operands[0];
  auto condType = cast<RankedTensorType>(cond.getType());
  if (condType.getNumElements() != 1 || !condType.getElementType().isInteger(1))
    return node.fail("the condition must be a single bool");
  if (std::optional<SmallVector<int64_t>> known = getConstantInts(cond))
    return node.importSubgraph(known->front() ? *thenBranch : *elseBranch, {},
                               results);
  // A branch the run would never take may not compile for these shapes
  // (an exporter's branch for another sample rate); say how to drop it.
  auto branchFails = [&](StringRef which) {
    return node.fail("its condition is known only at run time, so both "
                     "branches are compiled for these shapes, and the " +
                     which +
                     " branch does not compile (above): fix the "
                     "condition at compile time (a graph input it comes "
                     "from with --input-value=<name>=<file.pb>) to take "
                     "one branch");
  };
  SmallVector<Value> thenOutputs, elseOutputs;
  if (failed(node.importSubgraph(*thenBranch, {}, thenOutputs)))
    return branchFails("then");
  if (failed(node.importSubgraph(*elseBranch, {}, elseOutputs)))
    return branchFails("else");
  if (thenOutputs.size() != elseOutputs.size())
    return node.fail("the branches have different numbers of outputs");
  OpBuilder &b = node.builder;
  Value scalar = condType.getRank() == 0
                     ? cond
                     : Value(ReshapeOp::create(b, node.loc, cond,
                                               node.constantI64({}),
                                               uint64_t(0)));
  for (auto [i, pair] : llvm::enumerate(llvm::zip(thenOutputs, elseOutputs))) {
    auto [taken, other] = pair;
    if (taken.getType() != other.getType()) {
      std::string types;
      llvm::raw_string_ostream(types)
          << taken.getType() << " and " << other.getType();
      return node.fail("output " + Twine(i) + " of the branches differs (" +
                       types + "), so both cannot run: fix the condition at "
                       "compile time (a graph input it comes from with "
                       "--input-value=<name>=<file.pb>) to take one branch");
    }
    results.push_back(WhereOp::create(b, node.loc, scalar, taken, other));
  }
  return success();
}

/// Loop, unrolled at import: the trip count and the condition must be
/// known at compile time (constants, or computed by the body from the
/// iteration number and constants), each iteration imports the body with
/// the iteration number and the condition as constants, and the scan
/// outputs are stacked along a new first axis. A condition the body
/// computes from run-time values makes the trip count data-dependent.
LogicalResult buildLoop(NodeState &node, SmallVectorImpl<Value> &results) {
  const onnx::GraphProto *body = node.graphAttr("body");
  if (!body)
    return node.fail("needs the graph attribute body");
  OpBuilder &b = node.builder;
  std::optional<int64_t> trips;
  if (Value m = node.operands[0]) {
    std::optional<SmallVector<int64_t>> value = getConstantInts(m);
    if (!value || value->size() != 1)
      return node.fail("the trip count M must be a constant (fix a graph "
                       "input it comes from with --input-value)");
    trips = value->front();
  }
  bool running = true;
  if (node.operands.size() > 1 && node.operands[1]) {
    std::optional<SmallVector<int64_t>> value =
        getConstantInts(node.operands[1]);
    if (!value || value->size() != 1)
      return node.fail("the condition must be a constant (fix a graph input "
                       "it comes from with --input-value)");
    running = value->front() != 0;
  }
  SmallVector<Value> carried(node.operands.begin() +
                                 std::min<size_t>(2, node.operands.size()),
                             node.operands.end());
  int64_t scans = body->output_size() - 1 - (int64_t)carried.size();
  if (scans < 0)
    return node.fail("the body has fewer outputs than the condition and the "
                     "loop-carried values");
  SmallVector<SmallVector<Value>> scanSlices(scans);
  auto boolType = RankedTensorType::get({}, b.getI1Type());
  for (int64_t i = 0; running && (!trips || i < *trips); ++i) {
    if (i == kMaxUnrolledIterations)
      return node.fail("runs more than " + Twine(kMaxUnrolledIterations) +
                       " iterations, which Cleave does not unroll");
    SmallVector<Value> inputs = {
        node.constantI64({i}, /*scalar=*/true),
        ConstantOp::create(b, node.loc,
                           DenseElementsAttr::get(boolType, running))};
    llvm::append_range(inputs, carried);
    SmallVector<Value> outputs;
    if (failed(node.importSubgraph(*body, inputs, outputs)))
      return failure();
    std::optional<SmallVector<int64_t>> next = getConstantInts(outputs[0]);
    if (!next || next->size() != 1)
      return node.fail("the body's condition depends on run-time values, so "
                       "the number of iterations does: Cleave needs it at "
                       "compile time");
    running = next->front() != 0;
    for (size_t k = 0; k < carried.size(); ++k)
      carried[k] = outputs[1 + k];
    for (int64_t k = 0; k < scans; ++k)
      scanSlices[k].push_back(outputs[1 + carried.size() + k]);
  }
  results.assign(carried.begin(), carried.end());
  for (ArrayRef<Value> slices : scanSlices) {
    if (slices.empty())
      return node.fail("runs no iteration, so its scan outputs have no "
                       "known shape");
    results.push_back(node.stack(slices, 0));
  }
  return success();
}

/// Scan (opset 9 on): states, then num_scan_inputs scan inputs.
LogicalResult buildScan(NodeState &node, SmallVectorImpl<Value> &results) {
  const onnx::GraphProto *body = node.graphAttr("body");
  FailureOr<int64_t> inputCount = node.intAttr("num_scan_inputs", 0);
  if (failed(inputCount))
    return failure();
  int64_t m = *inputCount, n = (int64_t)node.operands.size() - m;
  if (!body || m < 1 || n < 0 || body->output_size() < n)
    return node.fail("needs a body with an output per state and "
                     "num_scan_inputs between 1 and its number of inputs");
  int64_t k = body->output_size() - n;
  FailureOr<SmallVector<int64_t>> inAxes = node.intsAttr("scan_input_axes", m);
  FailureOr<SmallVector<int64_t>> inReverse =
      node.intsAttr("scan_input_directions", m);
  FailureOr<SmallVector<int64_t>> outAxes = node.intsAttr("scan_output_axes", k);
  FailureOr<SmallVector<int64_t>> outReverse =
      node.intsAttr("scan_output_directions", k);
  if (failed(inAxes) || failed(inReverse) || failed(outAxes) ||
      failed(outReverse))
    return failure();
  ArrayRef<Value> operands(node.operands);
  return unrollScan(node, *body, operands.take_front(n), operands.drop_front(n),
                    {*inAxes, *inReverse, *outAxes, *outReverse}, results);
}

/// Scan-8: the inputs have a leading batch axis the body does not see
/// (scanning runs along axis 1), and an optional sequence_lens, which must
/// be every batch's whole length. Each batch item is scanned on its own and
/// the results are stacked along the batch axis.
LogicalResult buildScanV8(NodeState &node, SmallVectorImpl<Value> &results) {
  const onnx::GraphProto *body = node.graphAttr("body");
  FailureOr<int64_t> inputCount = node.intAttr("num_scan_inputs", 0);
  if (failed(inputCount))
    return failure();
  ArrayRef<Value> operands(node.operands);
  Value lengths = operands.empty() ? Value() : operands.front();
  operands = operands.drop_front(std::min<size_t>(1, operands.size()));
  int64_t m = *inputCount, n = (int64_t)operands.size() - m;
  if (!body || m < 1 || n < 0 || body->output_size() < n)
    return node.fail("needs a body with an output per state and "
                     "num_scan_inputs between 1 and its number of inputs");
  int64_t k = body->output_size() - n;
  FailureOr<SmallVector<int64_t>> reverse = node.intsAttr("directions", m);
  if (failed(reverse))
    return failure();
  auto first = cast<RankedTensorType>(operands[n].getType());
  if (first.getRank() < 2)
    return node.fail("scan inputs need a batch and a sequence axis");
  int64_t batch = first.getDimSize(0), length = first.getDimSize(1);
  if (lengths) {
    std::optional<SmallVector<int64_t>> values = getConstantInts(lengths);
    if (!values || llvm::any_of(*values, [&](int64_t v) { return v != length; }))
      return node.fail("sequence_lens must be absent or a constant equal to "
                       "the scan length " + Twine(length) + " everywhere "
                       "(shorter sequences give data-dependent shapes)");
  }
  SmallVector<SmallVector<Value>> perOutput(n + k);
  for (int64_t b = 0; b < batch; ++b) {
    SmallVector<Value> items;
    for (Value operand : operands)
      items.push_back(GatherOp::create(node.builder, node.loc, operand,
                                       node.constantI64({b}, true), 0));
    SmallVector<Value> outputs;
    ScanLayout layout{SmallVector<int64_t>(m, 0), *reverse,
                      SmallVector<int64_t>(k, 0), SmallVector<int64_t>(k, 0)};
    if (failed(unrollScan(node, *body, ArrayRef<Value>(items).take_front(n),
                          ArrayRef<Value>(items).drop_front(n), layout,
                          outputs)))
      return failure();
    for (auto [j, output] : llvm::enumerate(outputs))
      perOutput[j].push_back(output);
  }
  if (batch == 0)
    return node.fail("has an empty batch, so its outputs have no known shape");
  for (ArrayRef<Value> items : perOutput)
    results.push_back(node.stack(items, 0));
  return success();
}

} // namespace cleave::onnx_import
