//===- KernelSignatures.cpp - Kernels.def read by the compiler ------------===//
//
// Each CLEAVE_KERNEL(name, (params)) is stringized here and its parameter
// list parsed once; a parameter type the compiler does not know is a bug in
// Kernels.def, reported on first use.
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Runtime/IR/KernelSignatures.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ErrorHandling.h"

using namespace llvm;

namespace cleave::rt {
namespace {

struct Declaration {
  const char *name;
  const char *params;
};

constexpr Declaration kDeclarations[] = {
#define CLEAVE_KERNEL(name, params) {#name, #params},
#include "cleave/Runtime/Kernels.def"
#undef CLEAVE_KERNEL
};

KernelParam kindOf(StringRef type, StringRef kernel) {
  std::string compact;
  for (char c : type)
    if (!isSpace(c))
      compact += c;
  if (compact == "constcleave_tensor*")
    return KernelParam::Input;
  if (compact == "cleave_tensor*")
    return KernelParam::Output;
  if (compact == "constcleave_tensor*const*")
    return KernelParam::Inputs;
  if (compact == "constcleave_window*")
    return KernelParam::Window;
  if (compact == "int32_t" || compact == "int64_t")
    return KernelParam::Integer;
  if (compact == "float" || compact == "double")
    return KernelParam::Float;
  if (compact == "constchar*")
    return KernelParam::String;
  if (compact == "constint64_t*")
    return KernelParam::I64List;
  if (compact == "constfloat*")
    return KernelParam::F32List;
  if (compact.rfind("cleave_", 0) == 0 && compact.find('*') == std::string::npos)
    return KernelParam::Enum;
  report_fatal_error(Twine("Kernels.def: kernel '") + kernel +
                     "' has a parameter of type '" + type +
                     "' the compiler does not know");
}

KernelSignature parse(const Declaration &declaration) {
  KernelSignature signature{declaration.name, {}};
  StringRef list = StringRef(declaration.params).trim();
  list = list.drop_front().drop_back(); // The parentheses.
  SmallVector<StringRef> params;
  list.split(params, ',');
  for (StringRef param : params) {
    param = param.trim();
    size_t start = param.size();
    while (start > 0 &&
           (isAlnum(param[start - 1]) || param[start - 1] == '_'))
      --start;
    signature.params.push_back(
        {param.substr(start).str(),
         kindOf(param.take_front(start), declaration.name)});
  }
  return signature;
}

} // namespace

ArrayRef<KernelSignature> runtimeKernels() {
  static const SmallVector<KernelSignature> kernels = [] {
    SmallVector<KernelSignature> result;
    for (const Declaration &declaration : kDeclarations)
      result.push_back(parse(declaration));
    return result;
  }();
  return kernels;
}

const KernelSignature *lookupRuntimeKernel(StringRef name) {
  for (const KernelSignature &kernel : runtimeKernels())
    if (kernel.name == name)
      return &kernel;
  return nullptr;
}

} // namespace cleave::rt
