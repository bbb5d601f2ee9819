//===- Status.cpp - runtime status codes and messages ---------------------===//

#include "StatusInternal.h"
#include <new>

struct cleave_status_t {
  cleave_status_code code;
  std::string message;
};

namespace {
/// Returned when even the status cannot be allocated; never freed.
cleave_status_t outOfMemory{CLEAVE_OUT_OF_MEMORY, "out of memory"};
} // namespace

namespace cleave::runtime {

cleave_status makeStatus(cleave_status_code code, const char *file, int line,
                         const std::string &message) {
  std::string where = file;
  // Keep the path from "lib/Runtime/" on, not the build machine's prefix.
  if (size_t at = where.rfind("lib/Runtime/"); at != std::string::npos)
    where = where.substr(at);
  auto *status = new (std::nothrow) cleave_status_t{
      code, where + ":" + std::to_string(line) + ": " + message};
  return status ? status : &outOfMemory;
}

} // namespace cleave::runtime

extern "C" {

cleave_status_code cleave_status_get_code(cleave_status status) {
  return status ? status->code : CLEAVE_OK;
}

const char *cleave_status_message(cleave_status status) {
  return status ? status->message.c_str() : "";
}

void cleave_status_free(cleave_status status) {
  if (status != &outOfMemory)
    delete status;
}

} // extern "C"
