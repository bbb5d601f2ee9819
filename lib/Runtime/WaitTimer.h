//===- WaitTimer.h - time spent waiting for other devices ------*- C++ -*-===//

#ifndef CLEAVE_LIB_RUNTIME_WAITTIMER_H
#define CLEAVE_LIB_RUNTIME_WAITTIMER_H

#include "cleave/Runtime/Transport.h"
#include <chrono>

namespace cleave::runtime {

/// Adds the time until it goes out of scope to the wait clock
/// (cleave_runtime_add_wait): transports wrap their blocking waits in one.
struct WaitTimer {
  std::chrono::steady_clock::time_point start =
      std::chrono::steady_clock::now();
  ~WaitTimer() {
    cleave_runtime_add_wait(std::chrono::duration<double>(
                                std::chrono::steady_clock::now() - start)
                                .count());
  }
};

} // namespace cleave::runtime

#endif // CLEAVE_LIB_RUNTIME_WAITTIMER_H
