//===- WeightsFile.cpp - writing device_k.weights -------------------------===//

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "cleave/Runtime/Weights.h"
#include "cleave/Target/Bundle.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::target {

namespace {
/// The bytes of a constant as the runtime reads them: row-major, little
/// endian, one byte per boolean, splats expanded.
LogicalResult writeConstant(Operation *constant, llvm::raw_ostream &os) {
  ElementsAttr value = weightsValue(constant);
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return constant->emitError("its weights blob is not loaded");
    ArrayRef<char> data = blob->getData();
    os.write(data.data(), data.size());
    return success();
  }
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense)
    return constant->emitError("has a constant kind the CPU target cannot "
                               "write");
  Type elementType = dense.getElementType();
  if (elementType.isInteger(1)) {
    for (bool bit : dense.getValues<bool>())
      os << char(bit ? 1 : 0);
    return success();
  }
  ArrayRef<char> raw = dense.getRawData();
  int64_t count = dense.isSplat() ? dense.getNumElements() : 1;
  for (int64_t i = 0; i < count; ++i)
    os.write(raw.data(), raw.size());
  return success();
}
} // namespace

LogicalResult writeWeightsFile(Operation *function, StringRef path) {
  auto size = function->getAttrOfType<IntegerAttr>(kWeightsSizeAttr);
  if (!size)
    return function->emitError("has no weights layout (run "
                               "cleave-layout-weights)");
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return function->emitError("cannot write '")
           << path << "': " << ec.message();
  char header[CLEAVE_WEIGHTS_HEADER_SIZE] = {};
  std::memcpy(header, CLEAVE_WEIGHTS_MAGIC, 8);
  uint64_t payload = size.getInt();
  std::memcpy(header + 8, &payload, sizeof(payload));
  os.write(header, sizeof(header));
  int64_t written = 0;
  WalkResult result = function->walk([&](Operation *constant) {
    if (!isWeights(constant))
      return WalkResult::advance();
    int64_t offset =
        constant->getAttrOfType<IntegerAttr>(kWeightOffsetAttr).getInt();
    os.write_zeros(offset - written);
    if (failed(writeConstant(constant, os)))
      return WalkResult::interrupt();
    written = offset + tensorBytes(constant->getResult(0).getType());
    return WalkResult::advance();
  });
  if (result.wasInterrupted())
    return failure();
  os.write_zeros(payload - written);
  os.close();
  if (os.has_error())
    return function->emitError("cannot write '") << path << "'";
  return success();
}

} // namespace cleave::target
