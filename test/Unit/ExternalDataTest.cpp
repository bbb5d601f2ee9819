//===- ExternalDataTest.cpp - untrusted external data paths ---------------===//
//
// Each case builds a real folder layout (files, symbolic and hard links) and
// checks that only regular, singly linked files inside the model's folder
// are mapped, and only within their size.
//
//===----------------------------------------------------------------------===//

#include "ExternalData.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

using cleave::onnx_import::ExternalDataResolver;

namespace {
class ExternalDataTest : public testing::Test {
protected:
  void SetUp() override {
    llvm::SmallString<128> dir;
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("cleave-ext", dir));
    root = std::string(dir);
    modelDir = root + "/model";
    ASSERT_FALSE(llvm::sys::fs::create_directories(modelDir + "/sub"));
    write(modelDir + "/weights.bin", 64);
    write(modelDir + "/sub/more.bin", 16);
    write(root + "/secret.bin", 64);
  }
  void TearDown() override { llvm::sys::fs::remove_directories(root); }

  static void write(const std::string &path, size_t bytes) {
    std::ofstream out(path, std::ios::binary);
    for (size_t i = 0; i < bytes; ++i)
      out.put(char(i));
  }

  /// Maps `location` and returns the error text ("" on success).
  std::string map(const std::string &location, int64_t offset, int64_t length,
                  int64_t expected) {
    ExternalDataResolver resolver(modelDir);
    std::string error;
    auto blob = resolver.map(location, offset, length, expected, 4, error);
    if (mlir::succeeded(blob)) {
      EXPECT_EQ((int64_t)blob->getData().size(), expected);
      if (expected > 0) {
        EXPECT_EQ(blob->getData()[0], char(offset));
      }
      return "";
    }
    EXPECT_FALSE(error.empty());
    return error;
  }

  std::string root, modelDir;
};

TEST_F(ExternalDataTest, MapsFilesInsideTheModelFolder) {
  EXPECT_EQ(map("weights.bin", 0, -1, 64), "");
  EXPECT_EQ(map("weights.bin", 16, 32, 32), "");
  EXPECT_EQ(map("sub/more.bin", 0, 16, 16), "");
}

TEST_F(ExternalDataTest, RejectsPathsLeavingTheFolder) {
  EXPECT_NE(map("../secret.bin", 0, -1, 64).find("'..'"), std::string::npos);
  EXPECT_NE(map("sub/../../secret.bin", 0, -1, 64).find("'..'"),
            std::string::npos);
  EXPECT_NE(map(root + "/secret.bin", 0, -1, 64).find("absolute"),
            std::string::npos);
  EXPECT_NE(map("", 0, -1, 64).find("empty"), std::string::npos);
}

TEST_F(ExternalDataTest, RejectsSymbolicLinks) {
  ASSERT_EQ(::symlink((root + "/secret.bin").c_str(),
                      (modelDir + "/link.bin").c_str()),
            0);
  EXPECT_NE(map("link.bin", 0, -1, 64).find("symbolic link"),
            std::string::npos);
  // A linked folder that leads out of the model's folder.
  ASSERT_EQ(::symlink(root.c_str(), (modelDir + "/out").c_str()), 0);
  EXPECT_NE(map("out/secret.bin", 0, -1, 64).find("outside"),
            std::string::npos);
}

TEST_F(ExternalDataTest, RejectsHardLinks) {
  ASSERT_EQ(
      ::link((root + "/secret.bin").c_str(), (modelDir + "/hard.bin").c_str()),
      0);
  EXPECT_NE(map("hard.bin", 0, -1, 64).find("hard link"), std::string::npos);
}

TEST_F(ExternalDataTest, RejectsRangesPastTheEnd) {
  EXPECT_NE(map("weights.bin", 65, -1, 0).find("past the end"),
            std::string::npos);
  EXPECT_NE(map("weights.bin", 32, 64, 64).find("past the end"),
            std::string::npos);
  EXPECT_NE(map("weights.bin", 0, -1, 128).find("needs 128"),
            std::string::npos);
  EXPECT_NE(map("missing.bin", 0, -1, 4).find("cannot be opened"),
            std::string::npos);
}
} // namespace
