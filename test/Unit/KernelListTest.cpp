//===- KernelListTest.cpp - Kernels.def, as both sides read it ------------===//
//
// The compiler parses every declaration of include/cleave/Runtime/Kernels.def
// (an unknown parameter type would abort), and the CPU runtime defines every
// kernel the compiler may call (this file links only if it does).
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Runtime/IR/KernelSignatures.h"
#include "cleave/Runtime/CpuKernels.h"
#include <gtest/gtest.h>
#include <set>
#include <string>

using namespace cleave::rt;

namespace {

struct CpuKernel {
  const char *name;
  void (*address)();
};

const CpuKernel kCpuKernels[] = {
#define CLEAVE_KERNEL(name, params)                                           \
  {#name, reinterpret_cast<void (*)()>(&cleave_cpu_##name)},
#include "cleave/Runtime/Kernels.def"
#undef CLEAVE_KERNEL
};

TEST(KernelList, EveryDeclarationParses) {
  std::set<std::string> names;
  for (const KernelSignature &kernel : runtimeKernels()) {
    EXPECT_TRUE(names.insert(kernel.name).second) << kernel.name;
    EXPECT_FALSE(kernel.params.empty()) << kernel.name;
    for (const KernelParamInfo &param : kernel.params)
      EXPECT_FALSE(param.name.empty()) << kernel.name;
  }
  EXPECT_EQ(names.size(), std::size(kCpuKernels));
}

TEST(KernelList, ParametersHaveTheirDeclaredKinds) {
  const KernelSignature *gemm = lookupRuntimeKernel("gemm");
  ASSERT_NE(gemm, nullptr);
  std::vector<KernelParam> kinds;
  for (const KernelParamInfo &param : gemm->params)
    kinds.push_back(param.kind);
  EXPECT_EQ(kinds, (std::vector<KernelParam>{
                       KernelParam::Input, KernelParam::Input,
                       KernelParam::Input, KernelParam::Float,
                       KernelParam::Float, KernelParam::Integer,
                       KernelParam::Integer, KernelParam::Output}));
  EXPECT_EQ(gemm->params[2].name, "c");
  const KernelSignature *concat = lookupRuntimeKernel("concat");
  ASSERT_NE(concat, nullptr);
  EXPECT_EQ(concat->params[0].kind, KernelParam::Inputs);
  EXPECT_EQ(lookupRuntimeKernel("pool")->params[0].kind, KernelParam::Enum);
  EXPECT_EQ(lookupRuntimeKernel("einsum")->params[0].kind,
            KernelParam::String);
  EXPECT_EQ(lookupRuntimeKernel("no_such_kernel"), nullptr);
}

TEST(KernelList, TheCpuRuntimeDefinesEveryKernel) {
  for (const CpuKernel &kernel : kCpuKernels) {
    EXPECT_NE(kernel.address, nullptr) << kernel.name;
    EXPECT_NE(lookupRuntimeKernel(kernel.name), nullptr) << kernel.name;
  }
}

} // namespace
