//===- WaitTimer.h - time spent waiting for other devices ------*- C++ -*-===//

#ifndef CLEAVE_LIB_RUNTIME_WAITTIMER_H
#define CLEAVE_LIB_RUNTIME_WAITTIMER_H

#include "cleave/Runtime/Transport.h"
#include <chrono>

namespace cleave::runtime {

/// Adds the time until it goes out of scope to the wait clock
/// (cleave_runtime_record_wait): transports wrap their blocking waits in
/// one.
struct WaitTimer {
  static int64_t now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  int64_t start = now();
  ~WaitTimer() { cleave_runtime_record_wait(start, now()); }
};

} // namespace cleave::runtime

#endif // CLEAVE_LIB_RUNTIME_WAITTIMER_H
