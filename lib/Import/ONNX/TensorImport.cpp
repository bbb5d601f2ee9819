//===- TensorImport.cpp - ONNX tensors and types to MLIR ------------------===//

#include "TensorImport.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CheckedArithmetic.h"
#include <cstring>

using namespace mlir;

namespace cleave::onnx_import {

FailureOr<Type> importElementType(int32_t dataType, MLIRContext *context,
                                  std::string &error) {
  using T = onnx::TensorProto;
  auto signless = [&](unsigned width) -> Type {
    return IntegerType::get(context, width);
  };
  auto unsignedInt = [&](unsigned width) -> Type {
    return IntegerType::get(context, width, IntegerType::Unsigned);
  };
  switch (dataType) {
  case T::FLOAT:
    return Type(Float32Type::get(context));
  case T::DOUBLE:
    return Type(Float64Type::get(context));
  case T::FLOAT16:
    return Type(Float16Type::get(context));
  case T::BFLOAT16:
    return Type(BFloat16Type::get(context));
  case T::INT8:
    return signless(8);
  case T::INT16:
    return signless(16);
  case T::INT32:
    return signless(32);
  case T::INT64:
    return signless(64);
  case T::UINT8:
    return unsignedInt(8);
  case T::UINT16:
    return unsignedInt(16);
  case T::UINT32:
    return unsignedInt(32);
  case T::UINT64:
    return unsignedInt(64);
  case T::BOOL:
    return signless(1);
  default:
    error = "element type " + dataTypeName(dataType) + " is not supported";
    return failure();
  }
}

std::string dataTypeName(int32_t dataType) {
  if (onnx::TensorProto_DataType_IsValid(dataType))
    return onnx::TensorProto_DataType_Name(
        static_cast<onnx::TensorProto_DataType>(dataType));
  return "<unknown data type " + std::to_string(dataType) + ">";
}

namespace {
/// Writes typed protobuf fields as little-endian elements of `width` bytes.
template <typename Field, typename Convert>
void packField(const Field &field, std::vector<char> &bytes, size_t width,
               Convert convert) {
  bytes.resize(field.size() * width);
  for (int i = 0; i < field.size(); ++i) {
    auto value = convert(field.Get(i));
    std::memcpy(bytes.data() + i * width, &value, width);
  }
}

/// The typed-field payload of `tensor` as raw bytes; false if the data type
/// keeps no typed field.
bool packTypedData(const onnx::TensorProto &tensor, std::vector<char> &bytes,
                   size_t width) {
  using T = onnx::TensorProto;
  switch (tensor.data_type()) {
  case T::FLOAT:
    packField(tensor.float_data(), bytes, width, [](float v) { return v; });
    return true;
  case T::DOUBLE:
    packField(tensor.double_data(), bytes, width, [](double v) { return v; });
    return true;
  case T::INT64:
    packField(tensor.int64_data(), bytes, width, [](int64_t v) { return v; });
    return true;
  case T::UINT32:
  case T::UINT64:
    packField(tensor.uint64_data(), bytes, width, [](uint64_t v) { return v; });
    return true;
  case T::INT32:
  case T::INT16:
  case T::INT8:
  case T::UINT16:
  case T::UINT8:
  case T::BOOL:
  case T::FLOAT16:
  case T::BFLOAT16:
    // Narrow types sit in int32_data, one element per entry (the low bits;
    // float16 and bfloat16 as their bit patterns).
    packField(tensor.int32_data(), bytes, width, [](int32_t v) { return v; });
    return true;
  default:
    return false;
  }
}

std::string blobKey(StringRef hint) {
  std::string key;
  for (char c : hint)
    key.push_back(llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_');
  if (key.empty() || llvm::isDigit(key.front()))
    key.insert(key.begin(), '_');
  return key;
}
} // namespace

FailureOr<ElementsAttr> importTensor(const onnx::TensorProto &tensor,
                                     StringRef nameHint,
                                     const ExternalDataResolver &externalData,
                                     MLIRContext *context, std::string &error) {
  FailureOr<Type> elementType =
      importElementType(tensor.data_type(), context, error);
  if (failed(elementType))
    return failure();
  SmallVector<int64_t> shape;
  std::optional<int64_t> count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0) {
      error = "tensor has a negative dimension";
      return failure();
    }
    shape.push_back(dim);
    count = llvm::checkedMul(*count, dim);
    if (!count) {
      error = "tensor has too many elements";
      return failure();
    }
  }
  auto type = RankedTensorType::get(shape, *elementType);
  size_t width = (*elementType).isInteger(1)
                     ? 1
                     : (*elementType).getIntOrFloatBitWidth() / 8;
  std::optional<int64_t> checkedBytes =
      llvm::checkedMul(*count, (int64_t)width);
  if (!checkedBytes) {
    error = "tensor has too many bytes";
    return failure();
  }
  int64_t bytes = *checkedBytes;
  std::string key = blobKey(nameHint);

  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
      if (entry.key() == "location") {
        location = entry.value();
      } else if (entry.key() == "offset" || entry.key() == "length") {
        int64_t value;
        if (!llvm::to_integer(entry.value(), value, 10) || value < 0) {
          error = "external data " + entry.key() + " '" + entry.value() +
                  "' is not a non-negative integer";
          return failure();
        }
        (entry.key() == "offset" ? offset : length) = value;
      }
    }
    FailureOr<AsmResourceBlob> blob =
        externalData.map(location, offset, length, bytes, width, error);
    if (failed(blob))
      return failure();
    return ElementsAttr(
        DenseResourceElementsAttr::get(type, key, std::move(*blob)));
  }

  if (bytes == 0)
    return ElementsAttr(DenseResourceElementsAttr::get(
        type, key, HeapAsmResourceBlob::allocate(0, width)));

  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    if ((int64_t)raw.size() != bytes) {
      error = "tensor raw_data has " + std::to_string(raw.size()) +
              " bytes but its shape needs " + std::to_string(bytes);
      return failure();
    }
    return ElementsAttr(DenseResourceElementsAttr::get(
        type, key,
        HeapAsmResourceBlob::allocateAndCopyWithAlign(
            ArrayRef<char>(raw.data(), raw.size()), width)));
  }

  std::vector<char> packed;
  if (!packTypedData(tensor, packed, width)) {
    error = "tensor of type " + dataTypeName(tensor.data_type()) +
            " has no data this importer can read";
    return failure();
  }
  if ((int64_t)packed.size() != bytes) {
    error = "tensor has " + std::to_string(packed.size() / width) +
            " elements but its shape needs " + std::to_string(*count);
    return failure();
  }
  return ElementsAttr(DenseResourceElementsAttr::get(
      type, key,
      HeapAsmResourceBlob::allocateAndCopyWithAlign(
          ArrayRef<char>(packed.data(), packed.size()), width)));
}

} // namespace cleave::onnx_import
