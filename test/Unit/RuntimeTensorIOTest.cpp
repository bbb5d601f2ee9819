//===- RuntimeTensorIOTest.cpp - .npy and TensorProto files ---------------===//
//
// The fixtures in Inputs/ were written by NumPy and by ONNX's helpers
// (Inputs/make_fixtures.py), so the readers are checked against the formats'
// own implementations; writers are checked by reading back.
//
//===----------------------------------------------------------------------===//

#include "cleave/Runtime/TensorIO.h"
#include <cstdlib>
#include <cstring>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

std::string input(const std::string &name) {
  return std::string(CLEAVE_TEST_INPUTS) + "/" + name;
}

/// Reads `path`, expecting success.
struct Loaded {
  explicit Loaded(const std::string &path) {
    cleave_status status = cleave_tensor_read(path.c_str(), &tensor);
    EXPECT_EQ(status, nullptr) << cleave_status_message(status);
    cleave_status_free(status);
  }
  ~Loaded() { cleave_tensor_free(&tensor); }
  template <typename T> std::vector<T> values() const {
    const T *data = static_cast<const T *>(tensor.data);
    return std::vector<T>(data, data + cleave_tensor_num_elements(&tensor));
  }
  cleave_tensor tensor{};
};

/// Reads `path`, expecting `code`; returns the message.
std::string readError(const std::string &path, cleave_status_code code) {
  cleave_tensor tensor{};
  cleave_status status = cleave_tensor_read(path.c_str(), &tensor);
  EXPECT_EQ(cleave_status_get_code(status), code);
  std::string message = cleave_status_message(status);
  cleave_status_free(status);
  cleave_tensor_free(&tensor);
  return message;
}

TEST(RuntimeTensorIO, ReadsNumpyFilesOfEveryDtype) {
  const std::pair<const char *, cleave_dtype> cases[] = {
      {"float32", CLEAVE_DTYPE_F32}, {"float64", CLEAVE_DTYPE_F64},
      {"float16", CLEAVE_DTYPE_F16}, {"int8", CLEAVE_DTYPE_I8},
      {"int16", CLEAVE_DTYPE_I16},   {"int32", CLEAVE_DTYPE_I32},
      {"int64", CLEAVE_DTYPE_I64},   {"uint8", CLEAVE_DTYPE_U8},
      {"uint16", CLEAVE_DTYPE_U16},  {"uint32", CLEAVE_DTYPE_U32},
      {"uint64", CLEAVE_DTYPE_U64},  {"bool", CLEAVE_DTYPE_BOOL},
  };
  for (auto [name, dtype] : cases) {
    SCOPED_TRACE(name);
    Loaded file(input(std::string("iota_") + name + ".npy"));
    EXPECT_EQ(file.tensor.dtype, dtype);
    ASSERT_EQ(file.tensor.rank, 2);
    EXPECT_EQ(file.tensor.dims[0], 2);
    EXPECT_EQ(file.tensor.dims[1], 3);
  }
  EXPECT_EQ(Loaded(input("iota_float32.npy")).values<float>(),
            (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(Loaded(input("iota_uint64.npy")).values<uint64_t>(),
            (std::vector<uint64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(Loaded(input("iota_bool.npy")).values<uint8_t>(),
            (std::vector<uint8_t>{0, 1, 0, 1, 0, 1}));
}

TEST(RuntimeTensorIO, ReadsNumpyShapes) {
  Loaded scalar(input("scalar_int64.npy"));
  EXPECT_EQ(scalar.tensor.rank, 0);
  EXPECT_EQ(scalar.values<int64_t>(), (std::vector<int64_t>{-7}));
  Loaded vector(input("vector_float32.npy"));
  ASSERT_EQ(vector.tensor.rank, 1);
  EXPECT_EQ(vector.values<float>(), (std::vector<float>{1.5f, -2.5f, 3.25f}));
  Loaded empty(input("empty_float32.npy"));
  ASSERT_EQ(empty.tensor.rank, 2);
  EXPECT_EQ(empty.tensor.dims[0], 0);
  EXPECT_EQ(empty.tensor.dims[1], 3);
  Loaded version2(input("version2_float32.npy"));
  EXPECT_EQ(version2.values<float>(), (std::vector<float>{0, 1, 2, 3}));
}

TEST(RuntimeTensorIO, RejectsNumpyLayoutsItCannotUse) {
  EXPECT_NE(readError(input("fortran_float32.npy"), CLEAVE_UNSUPPORTED)
                .find("Fortran order"),
            std::string::npos);
  EXPECT_NE(readError(input("bigendian_float32.npy"), CLEAVE_UNSUPPORTED)
                .find("'>f4'"),
            std::string::npos);
  EXPECT_NE(readError(input("raw_float32.pb.missing"), CLEAVE_INVALID_ARGUMENT)
                .find("neither a .npy nor a .pb"),
            std::string::npos);
  EXPECT_NE(
      readError(input("missing.npy"), CLEAVE_IO_ERROR).find("missing.npy"),
      std::string::npos);
  // A TensorProto is not a .npy file.
  std::string notNpy = ::testing::TempDir() + "/not.npy";
  FILE *file = std::fopen(notNpy.c_str(), "wb");
  std::fputs("PK\x03\x04 not numpy", file);
  std::fclose(file);
  EXPECT_NE(readError(notNpy, CLEAVE_FORMAT_ERROR).find("not a .npy file"),
            std::string::npos);
}

TEST(RuntimeTensorIO, ReadsTensorProtosLikeNumpyHelper) {
  EXPECT_EQ(Loaded(input("raw_float32.pb")).values<float>(),
            Loaded(input("raw_float32.npy")).values<float>());
  EXPECT_EQ(Loaded(input("typed_float32.pb")).values<float>(),
            Loaded(input("raw_float32.npy")).values<float>());
  EXPECT_EQ(Loaded(input("typed_int64.pb")).values<int64_t>(),
            Loaded(input("typed_int64.npy")).values<int64_t>());
  EXPECT_EQ(Loaded(input("typed_float16.pb")).values<uint16_t>(),
            Loaded(input("typed_float16.npy")).values<uint16_t>());
  EXPECT_EQ(Loaded(input("typed_bool.pb")).values<uint8_t>(),
            Loaded(input("typed_bool.npy")).values<uint8_t>());

  cleave_tensor tensor{};
  char *name = nullptr;
  cleave_status status =
      cleave_pb_read(input("typed_int64.pb").c_str(), &tensor, &name);
  ASSERT_EQ(status, nullptr) << cleave_status_message(status);
  EXPECT_STREQ(name, "n");
  std::free(name);
  cleave_tensor_free(&tensor);
}

TEST(RuntimeTensorIO, RejectsTruncatedTensorProtos) {
  Loaded whole(input("raw_float32.pb"));
  std::string truncated = ::testing::TempDir() + "/truncated.pb";
  FILE *source = std::fopen(input("raw_float32.pb").c_str(), "rb");
  char bytes[256];
  size_t size = std::fread(bytes, 1, sizeof(bytes), source);
  std::fclose(source);
  FILE *file = std::fopen(truncated.c_str(), "wb");
  std::fwrite(bytes, 1, size - 5, file);
  std::fclose(file);
  EXPECT_NE(readError(truncated, CLEAVE_FORMAT_ERROR).find("truncated.pb"),
            std::string::npos);
}

TEST(RuntimeTensorIO, WritesFilesThatReadBack) {
  for (const char *name :
       {"iota_int16.npy", "iota_bool.npy", "scalar_int64.npy",
        "empty_float32.npy", "raw_float32.pb", "typed_int64.pb"}) {
    SCOPED_TRACE(name);
    Loaded original(input(name));
    std::string copy = ::testing::TempDir() + "/copy_" + name;
    cleave_status status = cleave_tensor_write(copy.c_str(), &original.tensor);
    ASSERT_EQ(status, nullptr) << cleave_status_message(status);
    Loaded again(copy);
    EXPECT_EQ(again.tensor.dtype, original.tensor.dtype);
    ASSERT_EQ(again.tensor.rank, original.tensor.rank);
    for (int i = 0; i < original.tensor.rank; ++i)
      EXPECT_EQ(again.tensor.dims[i], original.tensor.dims[i]);
    EXPECT_EQ(again.values<uint8_t>().size(),
              original.values<uint8_t>().size());
    EXPECT_EQ(std::memcmp(again.tensor.data, original.tensor.data,
                          cleave_tensor_num_bytes(&original.tensor)),
              0);
    // The .npy data starts 64-byte aligned, as numpy 2 does.
    std::remove(copy.c_str());
  }
}

TEST(RuntimeTensorIO, StatusesNameTheirSource) {
  cleave_tensor tensor{};
  int64_t dims[1] = {-1};
  cleave_status status =
      cleave_tensor_alloc(CLEAVE_DTYPE_F32, 1, dims, &tensor);
  EXPECT_EQ(cleave_status_get_code(status), CLEAVE_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(cleave_status_message(status)).rfind("lib/Runtime/", 0),
            0u);
  cleave_status_free(status);
  EXPECT_EQ(cleave_status_get_code(nullptr), CLEAVE_OK);
  EXPECT_STREQ(cleave_status_message(nullptr), "");
}

} // namespace
