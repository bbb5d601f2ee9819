//===- Importer.cpp - ONNX model to the cleave graph dialect --------------===//

#include "cleave/Import/ONNX/Importer.h"
#include "ExternalData.h"
#include "ModelLoader.h"
#include "OpTable.h"
#include "TensorImport.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/IR/ModuleAttrs.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::onnx_import {

LogicalResult parseInputShape(StringRef spec, ImportOptions &options,
                              std::string &error) {
  auto [name, dims] = spec.rsplit(':');
  if (name.empty() || !spec.contains(':')) {
    error = "--input-shape expects name:DIMxDIM..., got '" + spec.str() + "'";
    return failure();
  }
  SmallVector<int64_t> shape;
  if (!dims.empty()) {
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    for (StringRef part : parts) {
      int64_t dim;
      if (part.getAsInteger(10, dim) || dim < 0) {
        error = "--input-shape '" + spec.str() + "': '" + part.str() +
                "' is not a dimension";
        return failure();
      }
      shape.push_back(dim);
    }
  }
  options.inputShapes[name] = shape;
  return success();
}

LogicalResult parseDimSize(StringRef spec, ImportOptions &options,
                           std::string &error) {
  auto [name, size] = spec.split('=');
  int64_t value;
  if (name.empty() || size.getAsInteger(10, value) || value < 0) {
    error = "--dim expects name=SIZE (a symbolic dimension's name and a "
            "size of 0 or more), got '" +
            spec.str() + "'";
    return failure();
  }
  options.dimSizes[name] = value;
  return success();
}

LogicalResult parseInputValue(StringRef spec, ImportOptions &options,
                              std::string &error) {
  auto [name, file] = spec.split('=');
  if (name.empty() || file.empty()) {
    error = "--input-value expects name=tensor.pb, got '" + spec.str() + "'";
    return failure();
  }
  options.inputValues[name] = file.str();
  return success();
}

namespace {

/// Turns one ONNX graph into func.func @main. Errors raised anywhere below
/// (adapters, type inference, the verifier) are caught by a diagnostic
/// handler and prefixed with the file and the node being imported.
class GraphImporter {
public:
  GraphImporter(MLIRContext &context, StringRef path,
                const ImportOptions &options)
      : context(context), path(path), options(options),
        externalData(llvm::sys::path::parent_path(path)), builder(&context) {}

  OwningOpRef<ModuleOp> run(const onnx::ModelProto &model);

private:
  OwningOpRef<ModuleOp> build(const onnx::ModelProto &model);
  LogicalResult readOpset(const onnx::ModelProto &model);
  LogicalResult checkSupported(const onnx::GraphProto &graph);
  FailureOr<Type> inputType(const onnx::ValueInfoProto &input);
  LogicalResult importInitializers(const onnx::GraphProto &graph);
  LogicalResult importInputValue(const onnx::ValueInfoProto &input,
                                 StringRef file);
  LogicalResult importNode(const onnx::NodeProto &node, size_t index);
  LogicalResult importSubgraph(const onnx::GraphProto &graph,
                               ValueRange inputs,
                               SmallVectorImpl<Value> &outputs);
  FailureOr<Attribute> importAttribute(const onnx::AttributeProto &attr);
  FailureOr<Operation *> createOp(NodeState &state, const OpSpec &spec);
  void foldConstants(Operation *op, SmallVectorImpl<Value> &results);
  LogicalResult checkOutputType(const onnx::ValueInfoProto &output, Type type);
  Value none();

  /// Records an error in the current context.
  LogicalResult error(const Twine &message) {
    errors.push_back(prefix + message.str());
    return failure();
  }

  MLIRContext &context;
  std::string path;
  const ImportOptions &options;
  ExternalDataResolver externalData;
  OpBuilder builder;
  int64_t opset = 0;
  llvm::StringMap<Value> values;
  Value noneValue;
  func::FuncOp function;
  std::string prefix;
  std::vector<std::string> errors;
};

template <typename T> std::string printed(const T &value) {
  std::string text;
  llvm::raw_string_ostream(text) << value;
  return text;
}

std::string describeNode(const onnx::NodeProto &node, size_t index) {
  std::string name = node.name().empty()
                         ? "#" + std::to_string(index) +
                               (node.output_size() && !node.output(0).empty()
                                    ? " (output '" + node.output(0) + "')"
                                    : "")
                         : "'" + node.name() + "'";
  return "node " + name + " (" + node.op_type() + ")";
}

LogicalResult GraphImporter::readOpset(const onnx::ModelProto &model) {
  for (const onnx::OperatorSetIdProto &entry : model.opset_import())
    if (entry.domain().empty() || entry.domain() == "ai.onnx")
      opset = entry.version();
  if (opset <= 0)
    return error("the model imports no version of the default ONNX opset");
  if (opset > kMaxOpset)
    return error("opset " + Twine(opset) +
                 " is newer than the newest supported (" + Twine(kMaxOpset) +
                 ")");
  return success();
}

LogicalResult GraphImporter::checkSupported(const onnx::GraphProto &graph) {
  // Op (and domain) -> the nodes using it, in order of first use.
  std::vector<std::pair<std::string, SmallVector<std::string>>> unsupported;
  // The nodes of the graph and of its subgraphs (If branches, Loop and
  // Scan bodies), in order.
  std::vector<const onnx::NodeProto *> nodes;
  std::function<void(const onnx::GraphProto &)> collect =
      [&](const onnx::GraphProto &g) {
        for (const onnx::NodeProto &node : g.node()) {
          nodes.push_back(&node);
          for (const onnx::AttributeProto &attr : node.attribute())
            if (attr.has_g())
              collect(attr.g());
        }
      };
  collect(graph);
  for (auto [index, nodePointer] : llvm::enumerate(nodes)) {
    const onnx::NodeProto &node = *nodePointer;
    if (lookupOp(node.domain(), node.op_type(), opset))
      continue;
    std::string key = "'" + node.op_type() + "'";
    if (!node.domain().empty() && node.domain() != "ai.onnx")
      key += " (domain '" + node.domain() + "')";
    // Those whose outputs' shapes depend on the values of their inputs
    // (NonZero, Compress and Unique import when those are constants).
    else if (llvm::is_contained({"NonMaxSuppression", "StringSplit"},
                                node.op_type()))
      key += " (its outputs' shapes depend on the values of its inputs, and "
             "Cleave compiles static shapes)";
    auto it = llvm::find_if(
        unsupported, [&](const auto &entry) { return entry.first == key; });
    if (it == unsupported.end())
      it = unsupported.insert(unsupported.end(), {key, {}});
    it->second.push_back(node.name().empty() ? "#" + std::to_string(index)
                                             : node.name());
  }
  if (unsupported.empty())
    return success();
  std::string message =
      "unsupported ONNX operators at opset " + std::to_string(opset) + ": ";
  bool first = true;
  for (auto &[op, nodes] : unsupported) {
    message += (first ? "" : "; ") + op + " in node" +
               (nodes.size() > 1 ? "s " : " ") + llvm::join(nodes, ", ");
    first = false;
  }
  return error(message);
}

FailureOr<Type> GraphImporter::inputType(const onnx::ValueInfoProto &input) {
  std::string what = "graph input '" + input.name() + "'";
  if (!input.type().has_tensor_type())
    return error(what + " is not a tensor (sequence, map and optional types "
                        "are not supported)");
  const onnx::TypeProto::Tensor &tensor = input.type().tensor_type();
  std::string message;
  FailureOr<Type> elementType =
      importElementType(tensor.elem_type(), &context, message);
  if (failed(elementType))
    return error(what + ": " + message);
  auto bound = options.inputShapes.find(input.name());
  if (!tensor.has_shape() && bound == options.inputShapes.end())
    return error(what + " has no shape; give one with --input-shape=" +
                 input.name() + ":<dims>");
  SmallVector<int64_t> shape;
  // A negative dim_value (paddle2onnx writes -1) is an unknown dimension,
  // as onnxruntime reads it: without a name, only --input-shape (or
  // --default-dim-size) binds it.
  auto known = [](const onnx::TensorShapeProto::Dimension &dim) {
    return dim.has_dim_value() && dim.dim_value() >= 0;
  };
  for (auto [i, dim] : llvm::enumerate(tensor.shape().dim())) {
    if (known(dim)) {
      shape.push_back(dim.dim_value());
      continue;
    }
    if (dim.has_dim_param() && options.dimSizes.count(dim.dim_param())) {
      shape.push_back(options.dimSizes.lookup(dim.dim_param()));
      continue;
    }
    if (bound == options.inputShapes.end() && !options.defaultDimSize)
      return error(what + (dim.has_dim_value() ? " has unknown dimension "
                                               : " has symbolic dimension ") +
                   Twine(i) +
                   (dim.has_dim_param() ? " ('" + dim.dim_param() + "')" : "") +
                   (dim.has_dim_value()
                        ? " (dim_value " + std::to_string(dim.dim_value()) + ")"
                        : "") +
                   "; bind it with --input-shape=" + input.name() + ":<dims>" +
                   (dim.has_dim_param() ? " or --dim=" + dim.dim_param() + "=N"
                                        : ""));
    shape.push_back(options.defaultDimSize.value_or(-1));
  }
  if (bound != options.inputShapes.end()) {
    ArrayRef<int64_t> given = bound->second;
    if (tensor.has_shape() && given.size() != shape.size())
      return error(what + " has rank " + Twine(shape.size()) +
                   " but --input-shape gives rank " + Twine(given.size()));
    for (size_t i = 0; i < shape.size(); ++i)
      if (known(tensor.shape().dim(i)) && shape[i] != given[i])
        return error(what + " has dimension " + Twine(i) + " of size " +
                     Twine(shape[i]) + " but --input-shape gives " +
                     Twine(given[i]));
    shape.assign(given.begin(), given.end());
  }
  if (options.batchSplit > 1) {
    if (shape.empty() || shape[0] < 0 || shape[0] % options.batchSplit)
      return error(what + " has " +
                   (shape.empty() ? std::string("no batch axis")
                                  : "a batch (axis 0) of " +
                                        std::to_string(shape[0])) +
                   ", which does not split into " +
                   Twine(options.batchSplit) +
                   " equal parts (--microbatches times --dp)");
    shape[0] /= options.batchSplit;
  }
  return Type(RankedTensorType::get(shape, *elementType));
}

Value GraphImporter::none() {
  if (!noneValue) {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(&function.getBody().front());
    noneValue = NoneOp::create(builder, builder.getUnknownLoc());
  }
  return noneValue;
}

LogicalResult GraphImporter::importInputValue(const onnx::ValueInfoProto &input,
                                              StringRef file) {
  prefix = path + ": graph input '" + input.name() + "': ";
  auto buffer = llvm::MemoryBuffer::getFile(file, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  onnx::TensorProto tensor;
  if (!buffer)
    return error("cannot read value file '" + file +
                 "': " + buffer.getError().message());
  if (!tensor.ParseFromArray((*buffer)->getBufferStart(),
                             (int)(*buffer)->getBufferSize()))
    return error("value file '" + file + "' is not an ONNX TensorProto");
  std::string message;
  ExternalDataResolver valueFolder(llvm::sys::path::parent_path(file));
  FailureOr<ElementsAttr> value =
      importTensor(tensor, input.name(), valueFolder, &context, message);
  if (failed(value))
    return error("value file '" + file + "': " + message);
  FailureOr<Type> declared = inputType(input);
  if (failed(declared)) {
    errors.pop_back(); // A symbolic dim is fine: the value fixes it.
  } else if (*declared != value->getType()) {
    return error("value file '" + file + "' holds " +
                 printed(value->getType()) + " but the input is " +
                 printed(*declared));
  }
  values[input.name()] = ConstantOp::create(
      builder, NameLoc::get(builder.getStringAttr(input.name())), *value);
  return success();
}

LogicalResult GraphImporter::importSubgraph(const onnx::GraphProto &graph,
                                            ValueRange inputs,
                                            SmallVectorImpl<Value> &outputs) {
  if (graph.input_size() != (int)inputs.size())
    return error("subgraph '" + graph.name() + "' has " +
                 Twine(graph.input_size()) + " inputs; its node gives it " +
                 Twine(inputs.size()));
  // The subgraph sees the enclosing names; its own end with it.
  llvm::StringMap<Value> enclosing = values;
  for (auto [input, value] : llvm::zip(graph.input(), inputs))
    values[input.name()] = value;
  auto restore = llvm::make_scope_exit([&] { values = std::move(enclosing); });
  std::string outer = path;
  path = outer + ": subgraph '" + graph.name() + "'";
  auto restorePath = llvm::make_scope_exit([&] { path = outer; });
  if (failed(importInitializers(graph)))
    return failure();
  for (auto [index, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, index)))
      return failure();
  for (const onnx::ValueInfoProto &output : graph.output()) {
    auto it = values.find(output.name());
    if (it == values.end())
      return error("subgraph '" + graph.name() + "' never computes its output '" +
                   output.name() + "'");
    outputs.push_back(it->second);
  }
  return success();
}

LogicalResult GraphImporter::importInitializers(const onnx::GraphProto &graph) {
  for (const onnx::TensorProto &tensor : graph.initializer()) {
    prefix = path + ": initializer '" + tensor.name() + "': ";
    std::string message;
    FailureOr<ElementsAttr> value =
        importTensor(tensor, tensor.name(), externalData, &context, message);
    if (failed(value))
      return error(message);
    Location loc =
        NameLoc::get(builder.getStringAttr(tensor.name()),
                     NameLoc::get(builder.getStringAttr(kInitializerMark)));
    values[tensor.name()] = ConstantOp::create(builder, loc, *value);
  }
  return success();
}

FailureOr<Attribute>
GraphImporter::importAttribute(const onnx::AttributeProto &attr) {
  using A = onnx::AttributeProto;
  switch (attr.type()) {
  case A::INT:
    return Attribute(builder.getI64IntegerAttr(attr.i()));
  case A::FLOAT:
    return Attribute(builder.getF32FloatAttr(attr.f()));
  case A::STRING:
    return Attribute(builder.getStringAttr(attr.s()));
  case A::INTS:
    return Attribute(builder.getDenseI64ArrayAttr(
        SmallVector<int64_t>(attr.ints().begin(), attr.ints().end())));
  case A::STRINGS: {
    SmallVector<Attribute> strings;
    for (const std::string &text : attr.strings())
      strings.push_back(builder.getStringAttr(text));
    return Attribute(builder.getArrayAttr(strings));
  }
  case A::FLOATS:
    return Attribute(builder.getDenseF32ArrayAttr(
        SmallVector<float>(attr.floats().begin(), attr.floats().end())));
  case A::TENSOR: {
    std::string message;
    FailureOr<ElementsAttr> value =
        importTensor(attr.t(), attr.name(), externalData, &context, message);
    if (failed(value))
      return error("attribute '" + attr.name() + "': " + message);
    return Attribute(*value);
  }
  default:
    return error("attribute '" + attr.name() + "' has type " +
                 A::AttributeType_Name(attr.type()) +
                 ", which is not supported");
  }
}

/// Creates `spec.opName` with result types from its InferTypeOpInterface.
FailureOr<Operation *> GraphImporter::createOp(NodeState &state,
                                               const OpSpec &spec) {
  OperationName name(spec.opName, &context);
  std::optional<RegisteredOperationName> info = name.getRegisteredInfo();
  assert(info && "op table names an unregistered op");
  for (NamedAttribute attr : state.attributes)
    if (!llvm::is_contained(info->getAttributeNames(), attr.getName()))
      return error("attribute '" + attr.getName().getValue() +
                   "' is not supported");
  // Attribute constraints (an enum's values) before type inference reads
  // them.
  if (failed(info->verifyInherentAttrs(
          state.attributes, [&] { return mlir::emitError(state.loc); })))
    return failure();
  SmallVector<Value> operands;
  for (Value operand : state.operands)
    operands.push_back(operand ? operand : none());
  DictionaryAttr attributes = state.attributes.getDictionary(&context);

  // Properties are built from the attributes once, for inference, and the
  // same dictionary initialises the op.
  bool hasProperties = name.getOpPropertyByteSize() > 0;
  SmallVector<uint64_t> storage(
      (name.getOpPropertyByteSize() + sizeof(uint64_t) - 1) / sizeof(uint64_t) +
      1);
  OpaqueProperties properties(hasProperties ? storage.data() : nullptr);
  if (hasProperties)
    name.initOpProperties(properties, nullptr);
  auto destroy = llvm::make_scope_exit([&] {
    if (hasProperties)
      name.destroyOpProperties(properties);
  });
  if (hasProperties && failed(name.setOpPropertiesFromAttribute(
                           name, properties, attributes,
                           [&] { return mlir::emitError(state.loc); })))
    return failure();
  SmallVector<Type> types;
  auto *infer = info->getInterface<InferTypeOpInterface>();
  if (failed(infer->inferReturnTypes(&context, state.loc, operands, attributes,
                                     properties, {}, types)))
    return failure();

  for (Type type : types) {
    auto shaped = dyn_cast<ShapedType>(type);
    if (shaped && shaped.hasRank() &&
        llvm::any_of(shaped.getShape(), [](int64_t d) {
          return d < 0 && !ShapedType::isDynamic(d);
        }))
      return error("the result type " + printed(type) +
                   " has a negative dimension");
    if (shaped && shaped.hasStaticShape())
      continue;
    // The rule could not fix a shape: some input that determines it is not
    // a constant. Name the node's non-constant inputs beyond the first.
    // Adapters may have moved operands, so each is named by the node
    // input that holds it.
    auto nameOf = [&](Value operand) -> std::string {
      if (operand && !matchPattern(operand, m_Constant()))
        for (const std::string &input : state.node.input())
          if (!input.empty() && values.lookup(input) == operand)
            return "'" + input + "'";
      return "";
    };
    SmallVector<std::string> inputs;
    for (Value operand : ArrayRef<Value>(state.operands).drop_front())
      if (std::string name = nameOf(operand); !name.empty())
        inputs.push_back(name);
    if (std::string name = state.operands.empty() ? ""
                                                  : nameOf(state.operands[0]);
        inputs.empty() && !name.empty())
      inputs.push_back(name);
    return error(
        "the result shape depends on the value of input " +
        (inputs.empty() ? std::string("data") : llvm::join(inputs, ", ")) +
        ", which is not a constant; fix graph inputs that determine "
        "shapes with --input-value=name=value.pb");
  }
  OperationState opState(state.loc, name, operands, types, {});
  if (hasProperties)
    opState.propertiesAttr = attributes;
  Operation *op = builder.create(opState);
  if (failed(mlir::verify(op)))
    return failure();
  return op;
}

/// Evaluates ops whose inputs are all constants (and Shape/Size, which only
/// need static types), so shape computations become constants at once.
void GraphImporter::foldConstants(Operation *op,
                                  SmallVectorImpl<Value> &results) {
  SmallVector<Attribute> operands;
  for (Value operand : op->getOperands()) {
    auto constant = operand.getDefiningOp<ConstantOp>();
    if (options.keepParameters && constant && !parameterName(constant).empty())
      return;
    Attribute value;
    if (!matchPattern(operand, m_Constant(&value)) && !isa<ShapeOp, SizeOp>(op))
      return;
    operands.push_back(value);
  }
  SmallVector<OpFoldResult> folded;
  if (failed(op->fold(operands, folded)) || folded.empty())
    return;
  SmallVector<Value> replacements;
  for (auto [result, fold] : llvm::zip(op->getResults(), folded)) {
    if (auto value = dyn_cast<Value>(fold)) {
      replacements.push_back(value);
      continue;
    }
    Operation *constant = op->getDialect()->materializeConstant(
        builder, cast<Attribute>(fold), result.getType(), op->getLoc());
    if (!constant)
      return;
    replacements.push_back(constant->getResult(0));
  }
  results = replacements;
  op->erase();
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node,
                                        size_t index) {
  prefix = path + ": " + describeNode(node, index) + ": ";
  const OpSpec *spec = lookupOp(node.domain(), node.op_type(), opset);
  assert(spec && "unsupported ops are rejected before import");
  Location loc = NameLoc::get(builder.getStringAttr(
      node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                          : node.name()));
  NodeState state{node, opset, builder, loc, {}, {}, {}};
  for (const std::string &input : node.input()) {
    if (input.empty()) {
      state.operands.push_back(Value());
      continue;
    }
    auto it = values.find(input);
    if (it == values.end())
      return error("input '" + input +
                   "' is not defined before this node (the graph is not in "
                   "topological order, or the name is wrong)");
    state.operands.push_back(it->second);
  }
  unsigned required = requiredInputs(*spec);
  for (unsigned i = 0; i < required; ++i)
    if (i >= state.operands.size() || !state.operands[i])
      return error("input " + Twine(i) + " is required but " +
                   (i >= state.operands.size() ? "missing" : "empty"));
  for (const onnx::AttributeProto &attr : node.attribute()) {
    if (!attr.ref_attr_name().empty())
      return error("attribute '" + attr.name() +
                   "' refers to a function attribute, which is not supported");
    // Subgraphs (If's branches, Loop and Scan bodies) are the builder's to
    // import.
    if (attr.type() == onnx::AttributeProto::GRAPH)
      continue;
    FailureOr<Attribute> value = importAttribute(attr);
    if (failed(value))
      return failure();
    state.attributes.set(attr.name(), *value);
  }
  if (spec->adapt && failed(spec->adapt(state)))
    return error(state.error);
  if (spec->numInputs) {
    if (state.operands.size() > spec->numInputs)
      return error("has " + Twine(node.input_size()) + " inputs; at most " +
                   Twine(spec->numInputs) + " are allowed");
    state.operands.resize(spec->numInputs);
  }

  // The ops built for this node are those inserted after `before`.
  Block *block = builder.getInsertionBlock();
  Operation *before = block->empty() ? nullptr : &block->back();
  SmallVector<Value> results;
  std::string nodePrefix = prefix;
  state.importSubgraph = [&](const onnx::GraphProto &graph, ValueRange inputs,
                             SmallVectorImpl<Value> &outputs) {
    return importSubgraph(graph, inputs, outputs);
  };
  state.createOp = [&](StringRef name, ArrayRef<Value> operands,
                       const NamedAttrList &attributes) {
    NodeState inner = state;
    inner.operands.assign(operands.begin(), operands.end());
    inner.attributes = attributes;
    return createOp(inner,
                    OpSpec{node.op_type(), 0, name, (unsigned)operands.size()});
  };
  if (spec->custom) {
    LogicalResult built = spec->custom(state, results);
    prefix = nodePrefix;
    if (failed(built))
      return state.error.empty() ? failure() : error(state.error);
  } else {
    FailureOr<Operation *> op = createOp(state, *spec);
    if (failed(op))
      return failure();
    results.assign((*op)->result_begin(), (*op)->result_end());
    if (options.foldConstants)
      foldConstants(*op, results);
  }
  if (node.output_size() > (int)results.size())
    return error("has " + Twine(node.output_size()) +
                 " outputs; the importer supports " + Twine(results.size()));
  for (auto [name, value] : llvm::zip(node.output(), results))
    if (!name.empty())
      values[name] = value;
  for (const onnx::NodeDeviceConfigurationProto &config :
       node.device_configurations())
    if (config.has_pipeline_stage()) {
      auto stage = builder.getI64IntegerAttr(config.pipeline_stage());
      for (Operation &op : llvm::make_range(
               before ? std::next(before->getIterator()) : block->begin(),
               block->end()))
        op.setAttr(kOnnxStageAttr, stage);
    }
  return success();
}

LogicalResult GraphImporter::checkOutputType(const onnx::ValueInfoProto &output,
                                             Type type) {
  if (!output.type().has_tensor_type())
    return success();
  const onnx::TypeProto::Tensor &tensor = output.type().tensor_type();
  auto computed = cast<RankedTensorType>(type);
  std::string message;
  if (tensor.elem_type() != 0) {
    FailureOr<Type> declared =
        importElementType(tensor.elem_type(), &context, message);
    if (succeeded(declared) && *declared != computed.getElementType())
      return error("graph output '" + output.name() + "' is declared as " +
                   dataTypeName(tensor.elem_type()) + " but computes " +
                   printed(computed.getElementType()));
  }
  if (!tensor.has_shape())
    return success();
  bool mismatch = tensor.shape().dim_size() != computed.getRank();
  for (int i = 0; !mismatch && i < tensor.shape().dim_size(); ++i) {
    // Imported for one microbatch, the batch axis is a part of the one
    // declared.
    // A negative dim_value (paddle2onnx writes -1) is unknown, as
    // onnxruntime reads it.
    int64_t split = i == 0 ? options.batchSplit : 1;
    mismatch = tensor.shape().dim(i).has_dim_value() &&
               tensor.shape().dim(i).dim_value() >= 0 &&
               tensor.shape().dim(i).dim_value() !=
                   computed.getDimSize(i) * split;
  }
  if (mismatch) {
    std::string declared;
    for (const auto &dim : tensor.shape().dim())
      declared += (declared.empty() ? "" : "x") +
                  (dim.has_dim_value() ? std::to_string(dim.dim_value())
                                       : std::string("?"));
    return error("graph output '" + output.name() +
                 "' is declared with shape [" + declared + "] but computes " +
                 printed(type));
  }
  return success();
}

OwningOpRef<ModuleOp> GraphImporter::run(const onnx::ModelProto &model) {
  OwningOpRef<ModuleOp> module;
  {
    // Every diagnostic raised while importing lands in `errors`, prefixed
    // with what was being imported.
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      if (diag.getSeverity() != DiagnosticSeverity::Error)
        return success();
      std::string text = prefix + diag.str();
      for (const Diagnostic &note : diag.getNotes())
        text += "\n  note: " + note.str();
      errors.push_back(text);
      return success();
    });
    module = build(model);
  }
  if (module && errors.empty())
    return module;
  for (const std::string &message : errors)
    mlir::emitError(UnknownLoc::get(&context)) << message;
  return nullptr;
}

OwningOpRef<ModuleOp> GraphImporter::build(const onnx::ModelProto &model) {
  prefix = path + ": ";
  const onnx::GraphProto &graph = model.graph();
  auto module =
      OwningOpRef<ModuleOp>(ModuleOp::create(builder.getUnknownLoc()));
  auto finish = []() -> OwningOpRef<ModuleOp> { return nullptr; };
  if (failed(readOpset(model)) || failed(checkSupported(graph)))
    return finish();

  for (const auto &entry : options.inputShapes) {
    if (!llvm::any_of(graph.input(), [&](const onnx::ValueInfoProto &input) {
          return input.name() == entry.getKey();
        })) {
      (void)error("--input-shape names '" + entry.getKey() +
                  "', which is not a graph input");
      return finish();
    }
  }
  for (const auto &entry : options.dimSizes) {
    if (!llvm::any_of(graph.input(), [&](const onnx::ValueInfoProto &input) {
          for (const auto &dim : input.type().tensor_type().shape().dim())
            if (dim.has_dim_param() && dim.dim_param() == entry.getKey())
              return true;
          return false;
        })) {
      (void)error("--dim names '" + entry.getKey() +
                  "', which is not a symbolic dimension of any graph input");
      return finish();
    }
  }
  llvm::StringSet<> initializers;
  for (const onnx::TensorProto &tensor : graph.initializer())
    initializers.insert(tensor.name());
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    if (initializers.contains(input.name()) ||
        options.inputValues.contains(input.name()))
      continue;
    FailureOr<Type> type = inputType(input);
    if (failed(type))
      return finish();
    argTypes.push_back(*type);
    argNames.push_back(input.name());
  }

  builder.setInsertionPointToEnd(module->getBody());
  function = func::FuncOp::create(
      builder, NameLoc::get(builder.getStringAttr(graph.name())), "main",
      builder.getFunctionType(argTypes, {}));
  Block *entry = function.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames)) {
    values[name] = entry->getArgument(i);
    function.setArgAttr(i, CleaveDialect::kNameAttr,
                        builder.getStringAttr(name));
  }
  builder.setInsertionPointToEnd(entry);
  if (failed(importInitializers(graph)))
    return finish();
  for (const onnx::ValueInfoProto &input : graph.input()) {
    auto it = options.inputValues.find(input.name());
    if (it != options.inputValues.end() &&
        failed(importInputValue(input, it->second)))
      return finish();
  }
  for (const auto &entry : options.inputValues) {
    if (!values.contains(entry.getKey())) {
      (void)error("--input-value names '" + entry.getKey() +
                  "', which is not a graph input");
      return finish();
    }
  }
  for (auto [index, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, index)))
      return finish();

  prefix = path + ": ";
  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    auto it = values.find(output.name());
    if (it == values.end()) {
      (void)error("graph output '" + output.name() + "' is never computed");
      return finish();
    }
    if (failed(checkOutputType(output, it->second.getType())))
      return finish();
    results.push_back(it->second);
  }
  func::ReturnOp::create(builder, builder.getUnknownLoc(), results);
  function.setType(
      builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, output] : llvm::enumerate(graph.output()))
    function.setResultAttr(i, CleaveDialect::kNameAttr,
                           builder.getStringAttr(output.name()));
  llvm::SetVector<StringRef> dataFiles;
  for (const onnx::TensorProto &init : graph.initializer())
    if (init.data_location() == onnx::TensorProto::EXTERNAL)
      for (const onnx::StringStringEntryProto &entry : init.external_data())
        if (entry.key() == "location")
          dataFiles.insert(entry.value());
  if (!dataFiles.empty()) {
    SmallVector<Attribute> files;
    for (StringRef file : dataFiles)
      files.push_back(builder.getStringAttr(file));
    (*module)->setAttr(kExternalDataAttr,
                       builder.getArrayAttr(files));
  }
  if (failed(mlir::verify(*module)))
    return finish();
  return module;
}

} // namespace

OwningOpRef<ModuleOp> importOnnxFile(StringRef path, MLIRContext &context,
                                     const ImportOptions &options) {
  context.loadDialect<CleaveDialect, func::FuncDialect>();
  onnx::ModelProto model;
  std::string error;
  if (failed(loadModel(path, model, error))) {
    mlir::emitError(UnknownLoc::get(&context)) << path << ": " << error;
    return nullptr;
  }
  return GraphImporter(context, path, options).run(model);
}

} // namespace cleave::onnx_import
