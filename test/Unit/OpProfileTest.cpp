//===- OpProfileTest.cpp - op profiles: the file, the signatures ----------===//

#include "cleave/Analysis/OpProfile.h"
#include "cleave/Dialect/Cleave/IR/CleaveDialect.h"
#include "cleave/Dialect/Cleave/Transforms/Placement.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include <gtest/gtest.h>
#include <optional>

using namespace cleave::analysis;

namespace {

std::string errorOf(llvm::StringRef json) {
  llvm::Expected<OpProfile> profile = parseOpProfile(json);
  if (profile)
    return "(parsed)";
  return llvm::toString(profile.takeError());
}

TEST(OpProfile, MedianOfRoundsKeepsEachOpsMiddleTime) {
  // Three rounds: one slow for every op, one with a stray slow call in
  // "b"'s; the median is the ordinary time of each. An op missing from a
  // round takes the median of those it is in (an even count: the mean of
  // the two middle ones); one only a later round timed is kept.
  auto round = [](double a, double b, std::optional<double> c) {
    OpProfile p;
    p.machine = "cpu";
    p.ops.push_back({"a", "cleave.matmul", "", a, 10});
    p.ops.push_back({"b", "cleave.relu", "", b, 20});
    if (c)
      p.ops.push_back({"c", "cleave.add", "", *c, 5});
    return p;
  };
  OpProfile late = round(1.2, 50.0, {});
  late.ops.push_back({"d", "cleave.mul", "", 7.0, 3}); // Only in round 3.
  OpProfile median =
      medianOfRounds({round(1.0, 2.0, 4.0), round(9.0, 8.0, 6.0), late});
  ASSERT_EQ(median.ops.size(), 4u);
  EXPECT_EQ(median.ops[0].signature, "a");
  EXPECT_DOUBLE_EQ(median.ops[0].seconds, 1.2);
  EXPECT_EQ(median.ops[0].calls, 30);
  EXPECT_DOUBLE_EQ(median.ops[1].seconds, 8.0);
  EXPECT_EQ(median.ops[1].calls, 60);
  EXPECT_DOUBLE_EQ(median.ops[2].seconds, 5.0);
  EXPECT_EQ(median.ops[2].calls, 10);
  EXPECT_EQ(median.ops[3].signature, "d");
  EXPECT_DOUBLE_EQ(median.ops[3].seconds, 7.0);
  EXPECT_EQ(median.ops[3].calls, 3);
  EXPECT_TRUE(medianOfRounds({}).ops.empty());
}

TEST(OpProfile, RoundTrips) {
  OpProfile profile;
  profile.machine = "Some CPU @ 3 GHz";
  profile.ops.push_back({"00ff", "cleave.matmul", "1x16 16x32 1x32", 2.5e-6, 40});
  profile.ops.push_back({"abcd", "cleave.relu", "1x32 1x32", 1e-7, 40});
  llvm::Expected<OpProfile> back = parseOpProfile(printOpProfile(profile));
  ASSERT_TRUE(!!back) << llvm::toString(back.takeError());
  EXPECT_EQ(back->machine, profile.machine);
  EXPECT_EQ(back->kind, "cpu");
  ASSERT_EQ(back->ops.size(), 2u);
  EXPECT_EQ(back->ops[0].signature, "00ff");
  EXPECT_EQ(back->ops[0].op, "cleave.matmul");
  EXPECT_EQ(back->ops[0].shapes, "1x16 16x32 1x32");
  EXPECT_DOUBLE_EQ(back->ops[0].seconds, 2.5e-6);
  EXPECT_EQ(back->ops[0].calls, 40);
  llvm::StringMap<double> seconds = back->secondsBySignature();
  EXPECT_DOUBLE_EQ(seconds.lookup("abcd"), 1e-7);
  EXPECT_FALSE(seconds.count("ffff"));
}

TEST(OpProfile, RejectsWhatItCannotRead) {
  EXPECT_NE(errorOf("{").find("op profile:"), std::string::npos);
  EXPECT_NE(errorOf(R"({"format": "x", "version": 1, "ops": []})")
                .find("not a cleave-op-profile file"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"format": "cleave-op-profile", "version": 2,
                        "ops": []})")
                .find("version 2 is not supported"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"format": "cleave-op-profile", "version": 1,
                        "ops": [{"signature": "a", "seconds": -1}]})")
                .find("op 0 needs a \"signature\" and non-negative"),
            std::string::npos);
}

/// The signatures of the ops of @f in `source`, in order.
std::vector<std::string> signatures(llvm::StringRef source) {
  mlir::MLIRContext context;
  context.loadDialect<cleave::graph::CleaveDialect, mlir::func::FuncDialect>();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  EXPECT_TRUE(!!module);
  std::vector<std::string> result;
  if (!module)
    return result;
  module->walk([&](mlir::Operation *op) {
    if (op->getDialect() && op->getDialect()->getNamespace() == "cleave")
      result.push_back(cleave::graph::opSignature(op));
  });
  return result;
}

TEST(OpProfile, SignaturesNameTheKernelAndShapesNotThePlacement) {
  std::vector<std::string> s = signatures(R"mlir(
    func.func @f(%x: tensor<2x8xf32>, %y: tensor<4x8xf32>) {
      %a = cleave.relu %x : (tensor<2x8xf32>) -> tensor<2x8xf32>
      %b = cleave.relu %a {cleave.device = 1 : i64, cleave.microbatch = 3 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
      %c = cleave.relu %y : (tensor<4x8xf32>) -> tensor<4x8xf32>
      %d = cleave.sigmoid %x : (tensor<2x8xf32>) -> tensor<2x8xf32>
      %e = cleave.softmax %x {axis = 1 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
      %f = cleave.softmax %x {axis = 0 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
      return
    })mlir");
  ASSERT_EQ(s.size(), 6u);
  EXPECT_EQ(s[0].size(), 16u);
  EXPECT_EQ(s[0], s[1]); // The device and microbatch do not change the kernel.
  EXPECT_NE(s[0], s[2]); // Other shapes.
  EXPECT_NE(s[0], s[3]); // Another op.
  EXPECT_NE(s[4], s[5]); // Another attribute.
}

} // namespace
