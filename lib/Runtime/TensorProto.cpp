//===- TensorProto.cpp - ONNX TensorProto files ---------------------------===//
//
// A small reader and writer of the protobuf wire format for the one message
// the runtime needs, so that device programs do not depend on libprotobuf.
// Field numbers are those of onnx.proto's TensorProto.
//
//===----------------------------------------------------------------------===//

#include "FileUtils.h"
#include "StatusInternal.h"
#include "cleave/Runtime/TensorIO.h"
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using cleave::runtime::readFile;
using cleave::runtime::writeFile;

enum Field {
  kDims = 1,
  kDataType = 2,
  kFloatData = 4,
  kInt32Data = 5,
  kStringData = 6,
  kInt64Data = 7,
  kName = 8,
  kRawData = 9,
  kDoubleData = 10,
  kUint64Data = 11,
  kExternalData = 13,
  kDataLocation = 14,
};
enum WireType { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

/// Reads protobuf wire-format values from a byte range.
class WireReader {
public:
  WireReader(const char *begin, const char *end) : at(begin), end(end) {}
  bool done() const { return at >= end; }
  bool varint(uint64_t &value) {
    value = 0;
    for (int shift = 0; shift < 64 && at < end; shift += 7) {
      uint8_t byte = (uint8_t)*at++;
      value |= uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80))
        return true;
    }
    return false;
  }
  bool fixed(void *out, size_t size) {
    if ((size_t)(end - at) < size)
      return false;
    std::memcpy(out, at, size);
    at += size;
    return true;
  }
  bool bytes(const char *&data, size_t &size) {
    uint64_t length;
    if (!varint(length) || length > (uint64_t)(end - at))
      return false;
    data = at;
    size = length;
    at += length;
    return true;
  }
  bool skip(int wireType) {
    uint64_t ignored;
    const char *data;
    size_t size;
    switch (wireType) {
    case kVarint:
      return varint(ignored);
    case kFixed64:
      return fixed(&ignored, 8);
    case kFixed32:
      return fixed(&ignored, 4);
    case kBytes:
      return bytes(data, size);
    default:
      return false;
    }
  }

private:
  const char *at, *end;
};

/// Appends a repeated numeric field, packed or not, as `Element` values.
/// `Wire` is how one value is encoded when not a varint (float, double).
template <typename Element, typename Wire = void>
bool readRepeated(WireReader &reader, int wireType, std::vector<Element> &out) {
  auto one = [&](WireReader &r) {
    if constexpr (std::is_void_v<Wire>) {
      uint64_t value;
      if (!r.varint(value))
        return false;
      out.push_back((Element)value);
    } else {
      Wire value;
      if (!r.fixed(&value, sizeof(Wire)))
        return false;
      out.push_back((Element)value);
    }
    return true;
  };
  if (wireType != kBytes)
    return one(reader);
  const char *data;
  size_t size;
  if (!reader.bytes(data, size))
    return false;
  WireReader packed(data, data + size);
  while (!packed.done())
    if (!one(packed))
      return false;
  return true;
}

void putVarint(std::string &out, uint64_t value) {
  while (value >= 0x80) {
    out += (char)(value | 0x80);
    value >>= 7;
  }
  out += (char)value;
}

void putTag(std::string &out, int field, int wireType) {
  putVarint(out, uint64_t(field) << 3 | wireType);
}

void putBytes(std::string &out, int field, const void *data, size_t size) {
  putTag(out, field, kBytes);
  putVarint(out, size);
  out.append((const char *)data, size);
}

} // namespace

extern "C" {

cleave_status cleave_pb_read(const char *path, cleave_tensor *out,
                             char **name) {
  std::memset(out, 0, sizeof(*out));
  if (name)
    *name = nullptr;
  std::string bytes;
  CLEAVE_RETURN_IF_ERROR(readFile(path, bytes));
  std::string file = path;
  auto bad = [&](const std::string &why) {
    return CLEAVE_ERROR(CLEAVE_FORMAT_ERROR, "'" + file + "' " + why);
  };

  std::vector<int64_t> dims, int64s;
  std::vector<uint64_t> uint64s;
  std::vector<int32_t> int32s;
  std::vector<float> floats;
  std::vector<double> doubles;
  std::string tensorName, raw;
  bool hasRaw = false;
  uint64_t dataType = 0, location = 0;
  WireReader reader(bytes.data(), bytes.data() + bytes.size());
  while (!reader.done()) {
    uint64_t tag;
    if (!reader.varint(tag))
      return bad("is not a TensorProto (bad field tag)");
    int field = (int)(tag >> 3), wireType = (int)(tag & 7);
    bool ok = true;
    const char *data;
    size_t size;
    switch (field) {
    case kDims:
      ok = readRepeated(reader, wireType, dims);
      break;
    case kDataType:
      ok = reader.varint(dataType);
      break;
    case kFloatData:
      ok = readRepeated<float, float>(reader, wireType, floats);
      break;
    case kInt32Data:
      ok = readRepeated(reader, wireType, int32s);
      break;
    case kInt64Data:
      ok = readRepeated(reader, wireType, int64s);
      break;
    case kDoubleData:
      ok = readRepeated<double, double>(reader, wireType, doubles);
      break;
    case kUint64Data:
      ok = readRepeated(reader, wireType, uint64s);
      break;
    case kName:
      ok = reader.bytes(data, size);
      if (ok)
        tensorName.assign(data, size);
      break;
    case kRawData:
      ok = reader.bytes(data, size);
      if (ok)
        raw.assign(data, size), hasRaw = true;
      break;
    case kDataLocation:
      ok = reader.varint(location);
      break;
    case kStringData:
      return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                          "'" + file +
                              "' holds strings, which are not "
                              "supported");
    case kExternalData:
      return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                          "'" + file +
                              "' keeps its data in an external "
                              "file, which tensor files may not");
    default:
      ok = reader.skip(wireType);
      break;
    }
    if (!ok)
      return bad("is truncated or not a TensorProto (field " +
                 std::to_string(field) + ")");
  }
  if (location != 0)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                        "'" + file + "' keeps its data in an external file");
  auto dtype = (cleave_dtype)dataType;
  if (cleave_dtype_size(dtype) == 0)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, "'" + file +
                                                "' has ONNX data type " +
                                                std::to_string(dataType) +
                                                ", which is not supported");
  if (dims.size() > CLEAVE_MAX_RANK)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, "'" + file + "' has rank " +
                                                std::to_string(dims.size()));
  CLEAVE_RETURN_IF_ERROR(
      cleave_tensor_alloc(dtype, (int32_t)dims.size(), dims.data(), out));
  size_t count = (size_t)cleave_tensor_num_elements(out);
  size_t width = cleave_dtype_size(dtype);
  auto fill = [&](const auto &values) -> cleave_status {
    if (values.size() != count) {
      cleave_tensor_free(out);
      return bad("has " + std::to_string(values.size()) +
                 " elements but its shape needs " + std::to_string(count));
    }
    // Each typed field keeps values wider than or as wide as the element:
    // copy the low `width` bytes of each (little-endian host).
    for (size_t i = 0; i < count; ++i)
      std::memcpy((char *)out->data + i * width, &values[i], width);
    return nullptr;
  };
  cleave_status status = nullptr;
  if (hasRaw) {
    if (raw.size() != count * width) {
      cleave_tensor_free(out);
      return bad("has " + std::to_string(raw.size()) +
                 " bytes of raw_data but its shape needs " +
                 std::to_string(count * width));
    }
    std::memcpy(out->data, raw.data(), raw.size());
  } else if (dtype == CLEAVE_DTYPE_F32) {
    status = fill(floats);
  } else if (dtype == CLEAVE_DTYPE_F64) {
    status = fill(doubles);
  } else if (dtype == CLEAVE_DTYPE_I64) {
    status = fill(int64s);
  } else if (dtype == CLEAVE_DTYPE_U32 || dtype == CLEAVE_DTYPE_U64) {
    status = fill(uint64s);
  } else {
    status = fill(int32s); // Narrow ints, bool, f16 and bf16 bit patterns.
  }
  if (status)
    return status;
  if (name) {
    *name = (char *)std::malloc(tensorName.size() + 1);
    if (*name)
      std::memcpy(*name, tensorName.c_str(), tensorName.size() + 1);
  }
  return nullptr;
}

cleave_status cleave_pb_write(const char *path, const cleave_tensor *tensor,
                              const char *name) {
  if (cleave_dtype_size(tensor->dtype) == 0)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "invalid element type");
  std::string bytes;
  if (tensor->rank > 0) {
    std::string dims;
    for (int32_t i = 0; i < tensor->rank; ++i)
      putVarint(dims, (uint64_t)tensor->dims[i]);
    putBytes(bytes, kDims, dims.data(), dims.size());
  }
  putTag(bytes, kDataType, kVarint);
  putVarint(bytes, (uint64_t)tensor->dtype);
  if (name && *name)
    putBytes(bytes, kName, name, std::strlen(name));
  putBytes(bytes, kRawData, tensor->data, cleave_tensor_num_bytes(tensor));
  return writeFile(path, bytes);
}

static bool endsWith(const char *path, const char *suffix) {
  size_t n = std::strlen(path), m = std::strlen(suffix);
  return n >= m && std::strcmp(path + n - m, suffix) == 0;
}

cleave_status cleave_tensor_read(const char *path, cleave_tensor *out) {
  if (endsWith(path, ".npy"))
    return cleave_npy_read(path, out);
  if (endsWith(path, ".pb"))
    return cleave_pb_read(path, out, nullptr);
  std::memset(out, 0, sizeof(*out));
  return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                      std::string("'") + path +
                          "' is neither a .npy nor a .pb tensor file");
}

cleave_status cleave_tensor_write(const char *path,
                                  const cleave_tensor *tensor) {
  if (endsWith(path, ".npy"))
    return cleave_npy_write(path, tensor);
  if (endsWith(path, ".pb"))
    return cleave_pb_write(path, tensor, nullptr);
  return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                      std::string("'") + path +
                          "' is neither a .npy nor a .pb tensor file");
}

} // extern "C"
