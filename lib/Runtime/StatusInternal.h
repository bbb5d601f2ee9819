//===- StatusInternal.h - building statuses inside the runtime --*- C++ -*-===//

#ifndef CLEAVE_LIB_RUNTIME_STATUSINTERNAL_H
#define CLEAVE_LIB_RUNTIME_STATUSINTERNAL_H

#include "cleave/Runtime/Status.h"
#include <string>

namespace cleave::runtime {

/// A status with `code` whose message is "file:line: message".
cleave_status makeStatus(cleave_status_code code, const char *file, int line,
                         const std::string &message);

} // namespace cleave::runtime

/// Returns a status raised here, e.g.
///   return CLEAVE_ERROR(CLEAVE_IO_ERROR, "cannot open '" + path + "'");
#define CLEAVE_ERROR(code, message)                                            \
  ::cleave::runtime::makeStatus((code), __FILE__, __LINE__, (message))

/// Returns from the enclosing function when `expr` yields a failure status.
#define CLEAVE_RETURN_IF_ERROR(expr)                                           \
  do {                                                                         \
    cleave_status cleave_status_ = (expr);                                     \
    if (cleave_status_)                                                        \
      return cleave_status_;                                                   \
  } while (0)

#endif // CLEAVE_LIB_RUNTIME_STATUSINTERNAL_H
