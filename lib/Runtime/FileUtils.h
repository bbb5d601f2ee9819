//===- FileUtils.h - whole-file reads and atomic writes ---------*- C++ -*-===//

#ifndef CLEAVE_LIB_RUNTIME_FILEUTILS_H
#define CLEAVE_LIB_RUNTIME_FILEUTILS_H

#include "cleave/Runtime/Status.h"
#include <string>

namespace cleave::runtime {

/// Reads all of `path` into `bytes`.
cleave_status readFile(const char *path, std::string &bytes);

/// Writes `bytes` to a temporary file beside `path`, then renames it over
/// `path`: readers never see a half-written file.
cleave_status writeFile(const char *path, const std::string &bytes);

} // namespace cleave::runtime

#endif // CLEAVE_LIB_RUNTIME_FILEUTILS_H
