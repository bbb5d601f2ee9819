//===- CheckpointTest.cpp - safetensors checkpoints and LR schedules ------===//

#include "cleave/Runtime/Checkpoint.h"
#include "cleave/Runtime/LrSchedule.h"
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

namespace {

std::string temporaryPath(const char *name) {
  return std::string(::testing::TempDir()) + "/" + name + "." +
         std::to_string(::getpid());
}

void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string floats(std::initializer_list<float> values) {
  std::string bytes;
  for (float v : values)
    bytes.append(reinterpret_cast<const char *>(&v), sizeof v);
  return bytes;
}

TEST(Checkpoint, RoundTripKeepsNamesDtypesShapesBytesAndMetadata) {
  cleave::Checkpoint saved;
  saved.tensors.push_back({"fc1.weight", {"f32", {2, 2}, floats({1, 2, 3, 4})}});
  saved.tensors.push_back({"optimizer.step", {"f32", {}, floats({7})}});
  int64_t ids[3] = {-1, 0, 5};
  saved.tensors.push_back(
      {"ids", {"i64", {3}, std::string(reinterpret_cast<char *>(ids), 24)}});
  saved.metadata["format"] = "cleave-checkpoint-1";
  std::string path = temporaryPath("round.safetensors");
  ASSERT_EQ(cleave::writeCheckpoint(path, saved), "");
  cleave::Checkpoint read;
  ASSERT_EQ(cleave::readCheckpoint(path, read), "");
  ASSERT_EQ(read.tensors.size(), 3u);
  for (const auto &[name, tensor] : saved.tensors) {
    const cleave::CheckpointTensor *back = read.find(name);
    ASSERT_NE(back, nullptr) << name;
    EXPECT_EQ(back->dtype, tensor.dtype);
    EXPECT_EQ(back->shape, tensor.shape);
    EXPECT_EQ(back->bytes, tensor.bytes);
  }
  EXPECT_EQ(read.metadata["format"], "cleave-checkpoint-1");
  std::remove(path.c_str());
}

// A file laid out by hand as the safetensors format says: 8-byte header
// length, JSON header, data (offsets relative to its start, any order).
TEST(Checkpoint, ReadsTheFormatAsSpecified) {
  std::string header =
      R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},)"
      R"("a":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}})";
  uint64_t size = header.size();
  std::string bytes(reinterpret_cast<char *>(&size), 8);
  int32_t a[2] = {3, -4};
  bytes += header + std::string(reinterpret_cast<char *>(a), 8) + floats({2.5f});
  std::string path = temporaryPath("spec.safetensors");
  writeBytes(path, bytes);
  cleave::Checkpoint read;
  ASSERT_EQ(cleave::readCheckpoint(path, read), "");
  ASSERT_EQ(read.tensors.size(), 2u);
  EXPECT_EQ(read.tensors[0].first, "a"); // file order
  EXPECT_EQ(read.tensors[0].second.dtype, "i32");
  EXPECT_EQ(read.tensors[1].second.bytes, floats({2.5f}));
  std::remove(path.c_str());
}

TEST(Checkpoint, BadFilesSayWhatIsWrong) {
  std::string path = temporaryPath("bad.safetensors");
  cleave::Checkpoint read;
  writeBytes(path, "abc");
  EXPECT_NE(cleave::readCheckpoint(path, read).find("too short"),
            std::string::npos);
  std::string header =
      R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}})";
  uint64_t size = header.size();
  writeBytes(path, std::string(reinterpret_cast<char *>(&size), 8) + header +
                       std::string(8, '\0'));
  EXPECT_NE(cleave::readCheckpoint(path, read).find("do not fit its shape [4]"),
            std::string::npos);
  size = 1000;
  writeBytes(path, std::string(reinterpret_cast<char *>(&size), 8) + "{}");
  EXPECT_NE(cleave::readCheckpoint(path, read).find("runs past the end"),
            std::string::npos);
  std::remove(path.c_str());
}

TEST(LrSchedule, FactorsFollowTheirDefinitions) {
  cleave::LrSchedule step, cosine, linear, exponential;
  ASSERT_EQ(cleave::parseLrSchedule("step:every=3,gamma=0.5", step), "");
  for (auto [s, f] : {std::pair{0, 1.0}, {2, 1.0}, {3, 0.5}, {6, 0.25}})
    EXPECT_DOUBLE_EQ(step.factor(s), f) << s;
  ASSERT_EQ(cleave::parseLrSchedule("cosine:total=10,warmup=2", cosine), "");
  EXPECT_DOUBLE_EQ(cosine.factor(0), 0.0);
  EXPECT_DOUBLE_EQ(cosine.factor(1), 0.5);
  EXPECT_DOUBLE_EQ(cosine.factor(2), 1.0);
  EXPECT_NEAR(cosine.factor(6), 0.5, 1e-12); // halfway down
  EXPECT_NEAR(cosine.factor(10), 0.0, 1e-12);
  EXPECT_NEAR(cosine.factor(20), 0.0, 1e-12);
  ASSERT_EQ(cleave::parseLrSchedule("linear:total=4", linear), "");
  EXPECT_DOUBLE_EQ(linear.factor(1), 0.75);
  EXPECT_DOUBLE_EQ(linear.factor(9), 0.0);
  ASSERT_EQ(cleave::parseLrSchedule("exponential:gamma=0.9", exponential), "");
  EXPECT_NEAR(exponential.factor(3), 0.729, 1e-12);
}

TEST(LrSchedule, BadSpecsNameTheProblem) {
  cleave::LrSchedule schedule;
  EXPECT_NE(cleave::parseLrSchedule("cosine", schedule).find("needs total="),
            std::string::npos);
  EXPECT_NE(cleave::parseLrSchedule("step:every=x", schedule)
                .find("expected key=number, got 'every=x'"),
            std::string::npos);
  EXPECT_NE(cleave::parseLrSchedule("linear:total=2,warmup=3", schedule)
                .find("total > warmup"),
            std::string::npos);
}

} // namespace
