//===- RuntimeLocation.cpp - the installed runtime, or the build tree's ---===//
//
// The compiler is the file holding this code: a tool (cleave-compile) or
// libCleaveCompiler.so loaded by another program. Installed, it sits in
// <prefix>/bin or <prefix>/<libdir>, and the runtime's headers and
// archives are under the same prefix.
//
//===----------------------------------------------------------------------===//

#include "cleave/Target/RuntimeLocation.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include <dlfcn.h>

using namespace llvm;

namespace cleave::target {

namespace {

constexpr const char *kLibraries[] = {"CleaveRuntime", "CleaveRuntimeMpi",
                                      "CleaveRuntimeCuda",
                                      "CleaveRuntimeCudaMpi"};

/// The file this code was loaded from (the executable or the shared
/// library), with links resolved.
std::string compilerImage() {
  static int anchor;
  std::string image;
  Dl_info info;
  if (dladdr(&anchor, &info) && info.dli_fname && *info.dli_fname)
    image = info.dli_fname;
  if (image.empty() || !StringRef(image).contains(".so"))
    image = sys::fs::getMainExecutable(nullptr, &anchor);
  SmallString<256> real;
  if (!sys::fs::real_path(image, real))
    image = real.str().str();
  return image;
}

/// The install prefix holding this compiler and its runtime, or "".
std::string installPrefix() {
  std::string image = compilerImage();
  StringRef dir = sys::path::parent_path(image);
  SmallVector<std::string> candidates = {sys::path::parent_path(dir).str()};
  // A library in a multi-part libdir (lib/x86_64-linux-gnu).
  StringRef libdir = CLEAVE_INSTALL_LIBDIR;
  if (dir.ends_with(("/" + libdir).str()))
    candidates.push_back(dir.drop_back(libdir.size() + 1).str());
  for (const std::string &prefix : candidates) {
    SmallString<256> header(prefix), archive(prefix);
    sys::path::append(header, "include", "cleave", "Runtime", "Kernels.def");
    sys::path::append(archive, libdir, "libCleaveRuntime.a");
    if (sys::fs::exists(header) && sys::fs::exists(archive))
      return prefix;
  }
  return "";
}

RuntimeLocation find() {
  RuntimeLocation location;
  location.prefix = installPrefix();
  if (location.prefix.empty()) {
    location.includeDir = CLEAVE_RUNTIME_INCLUDE_DIR;
    location.cmakeDir = CLEAVE_RUNTIME_BUILD_DIR;
    location.libraries["CleaveRuntime"] = CLEAVE_RUNTIME_LIBRARY;
    location.libraries["CleaveRuntimeMpi"] = CLEAVE_RUNTIME_MPI_LIBRARY;
#ifdef CLEAVE_RUNTIME_CUDA_LIBRARY
    location.libraries["CleaveRuntimeCuda"] = CLEAVE_RUNTIME_CUDA_LIBRARY;
    location.libraries["CleaveRuntimeCudaMpi"] =
        CLEAVE_RUNTIME_CUDA_MPI_LIBRARY;
#endif
    return location;
  }
  auto under = [&](std::initializer_list<StringRef> parts) {
    SmallString<256> path(location.prefix);
    for (StringRef part : parts)
      sys::path::append(path, part);
    return path.str().str();
  };
  location.includeDir = under({"include"});
  location.cmakeDir = under({CLEAVE_INSTALL_LIBDIR, "cmake", "CleaveRuntime"});
  for (const char *name : kLibraries) {
    std::string file = ("lib" + Twine(name) + ".a").str();
    std::string archive = under({CLEAVE_INSTALL_LIBDIR, file});
    if (sys::fs::exists(archive))
      location.libraries[name] = archive;
  }
  return location;
}

} // namespace

const RuntimeLocation &runtimeLocation() {
  static const RuntimeLocation location = find();
  return location;
}

} // namespace cleave::target
