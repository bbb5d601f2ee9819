//===- RuntimeLocation.h - where device programs find the runtime -*- C++ -*-===//
//
// Device programs compile against the runtime's headers and link its
// libraries. An installed compiler uses the runtime installed beside it
// (<prefix>/include, <prefix>/<libdir>); a compiler run from its build
// tree uses that tree's. Nothing is looked up on a search path: the
// runtime is the one this compiler was built or installed with.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_TARGET_RUNTIMELOCATION_H
#define CLEAVE_TARGET_RUNTIMELOCATION_H

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include <string>

namespace cleave::target {

struct RuntimeLocation {
  /// Holds cleave/Runtime/*.h.
  std::string includeDir;
  /// Holds CleaveRuntimeConfig.cmake (for find_package hints).
  std::string cmakeDir;
  /// The install prefix, or "" for a build tree.
  std::string prefix;
  /// Each runtime library by target name (CleaveRuntime, CleaveRuntimeMpi,
  /// CleaveRuntimeCuda, CleaveRuntimeCudaMpi) to its archive.
  llvm::StringMap<std::string> libraries;

  /// The archive of runtime library `name` ("" when not built).
  std::string library(llvm::StringRef name) const {
    return libraries.lookup(name);
  }
};

/// The runtime of this compiler (found once).
const RuntimeLocation &runtimeLocation();

} // namespace cleave::target

#endif // CLEAVE_TARGET_RUNTIMELOCATION_H
