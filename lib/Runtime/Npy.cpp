//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
//
// Format:
// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html A
// magic string, a version, a header length, then a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } and the data.
//
//===----------------------------------------------------------------------===//

#include "FileUtils.h"
#include "StatusInternal.h"
#include "cleave/Runtime/TensorIO.h"
#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>

namespace {

using cleave::runtime::readFile;
using cleave::runtime::writeFile;

struct Descr {
  const char *text;
  cleave_dtype dtype;
};
// '|' marks one-byte types, which have no byte order.
const Descr kDescrs[] = {
    {"<f4", CLEAVE_DTYPE_F32}, {"<f8", CLEAVE_DTYPE_F64},
    {"<f2", CLEAVE_DTYPE_F16}, {"|i1", CLEAVE_DTYPE_I8},
    {"<i2", CLEAVE_DTYPE_I16}, {"<i4", CLEAVE_DTYPE_I32},
    {"<i8", CLEAVE_DTYPE_I64}, {"|u1", CLEAVE_DTYPE_U8},
    {"<u2", CLEAVE_DTYPE_U16}, {"<u4", CLEAVE_DTYPE_U32},
    {"<u8", CLEAVE_DTYPE_U64}, {"|b1", CLEAVE_DTYPE_BOOL},
};

/// The value text of `key` in the header dict, e.g. "'<f4'" or "(2, 3)".
bool findValue(const std::string &header, const std::string &key,
               std::string &value) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return false;
  at = header.find(':', at);
  if (at == std::string::npos)
    return false;
  ++at;
  while (at < header.size() && header[at] == ' ')
    ++at;
  size_t end = at;
  if (end < header.size() && header[end] == '(') {
    end = header.find(')', end);
    if (end == std::string::npos)
      return false;
    ++end;
  } else {
    while (end < header.size() && header[end] != ',' && header[end] != '}')
      ++end;
  }
  value = header.substr(at, end - at);
  while (!value.empty() && value.back() == ' ')
    value.pop_back();
  return true;
}

} // namespace

extern "C" {

cleave_status cleave_npy_read(const char *path, cleave_tensor *out) {
  std::memset(out, 0, sizeof(*out));
  std::string bytes;
  CLEAVE_RETURN_IF_ERROR(readFile(path, bytes));
  std::string file = path;
  auto bad = [&](const std::string &why) {
    return CLEAVE_ERROR(CLEAVE_FORMAT_ERROR, "'" + file + "' " + why);
  };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    return bad("is not a .npy file (no \\x93NUMPY magic)");
  int major = (unsigned char)bytes[6];
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = (unsigned char)bytes[8] | (unsigned char)bytes[9] << 8;
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return bad("is truncated");
    headerLength = 0;
    for (int i = 3; i >= 0; --i)
      headerLength = headerLength << 8 | (unsigned char)bytes[8 + i];
    headerStart = 12;
  } else {
    return bad("has unknown .npy version " + std::to_string(major));
  }
  if (headerStart + headerLength > bytes.size())
    return bad("is truncated in its header");
  std::string header = bytes.substr(headerStart, headerLength);

  std::string descr, fortran, shape;
  if (!findValue(header, "descr", descr) ||
      !findValue(header, "fortran_order", fortran) ||
      !findValue(header, "shape", shape))
    return bad("has a header without descr, fortran_order or shape");
  if (fortran != "False")
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                        "'" + file +
                            "' is in Fortran order; save it with "
                            "np.ascontiguousarray first");
  if (descr.size() != 5 || descr.front() != '\'' || descr.back() != '\'')
    return bad("has a malformed descr " + descr);
  descr = descr.substr(1, 3);
  if (descr[0] == '=')
    descr[0] = '<'; // Native order on a little-endian host.
  cleave_dtype dtype = CLEAVE_DTYPE_INVALID;
  for (const Descr &entry : kDescrs)
    if (descr == entry.text ||
        (entry.text[0] == '|' && descr.substr(1) == entry.text + 1))
      dtype = entry.dtype;
  if (dtype == CLEAVE_DTYPE_INVALID)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                        "'" + file + "' has element type '" + descr +
                            "', which is not supported (big-endian, complex, "
                            "string and object arrays are not)");

  int64_t dims[CLEAVE_MAX_RANK];
  int32_t rank = 0;
  for (size_t i = 1; i + 1 < shape.size();) {
    while (i + 1 < shape.size() && (shape[i] == ' ' || shape[i] == ','))
      ++i;
    if (i + 1 >= shape.size())
      break;
    size_t end = i;
    while (end + 1 < shape.size() && isdigit((unsigned char)shape[end]))
      ++end;
    if (end == i)
      return bad("has a malformed shape " + shape);
    if (rank == CLEAVE_MAX_RANK)
      return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                          "'" + file + "' has rank above " +
                              std::to_string(CLEAVE_MAX_RANK));
    int64_t dim = 0;
    for (size_t j = i; j < end; ++j) {
      if (dim > (INT64_MAX - 9) / 10)
        return bad("has a dimension too large in its shape " + shape);
      dim = dim * 10 + (shape[j] - '0');
    }
    dims[rank++] = dim;
    i = end;
  }
  CLEAVE_RETURN_IF_ERROR(cleave_tensor_alloc(dtype, rank, dims, out));
  size_t dataBytes = cleave_tensor_num_bytes(out);
  size_t dataStart = headerStart + headerLength;
  if (bytes.size() - dataStart != dataBytes) {
    cleave_tensor_free(out);
    return bad("holds " + std::to_string(bytes.size() - dataStart) +
               " data bytes but its shape needs " + std::to_string(dataBytes));
  }
  std::memcpy(out->data, bytes.data() + dataStart, dataBytes);
  return nullptr;
}

cleave_status cleave_npy_write(const char *path, const cleave_tensor *tensor) {
  const char *descr = nullptr;
  for (const Descr &entry : kDescrs)
    if (entry.dtype == tensor->dtype)
      descr = entry.text;
  if (!descr)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                        std::string("element type ") +
                            cleave_dtype_name(tensor->dtype) +
                            " has no .npy equivalent");
  std::string shape = "(";
  for (int32_t i = 0; i < tensor->rank; ++i)
    shape += std::to_string(tensor->dims[i]) + (tensor->rank == 1      ? ","
                                                : i + 1 < tensor->rank ? ", "
                                                                       : "");
  shape += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so the data starts 64-byte aligned; end with a newline.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += (char)(header.size() & 0xff);
  bytes += (char)(header.size() >> 8);
  bytes += header;
  bytes.append((const char *)tensor->data, cleave_tensor_num_bytes(tensor));
  return writeFile(path, bytes);
}

} // extern "C"
