//===- Profile.h - per-call times of a device program ----------*- C++ -*-===//
//
// `--profile`: cleave::program::call times every kernel and transfer call
// of the program and adds it to its site's total here; the device main
// writes the totals as one `cleave-profile` JSON line to the file the
// launcher named for that device.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_RUNTIME_PROFILE_H
#define CLEAVE_LIB_RUNTIME_PROFILE_H

#include "cleave/Runtime/ProgramTable.h"
#include <cstdio>
#include <string>

namespace cleave::runtime {

/// `text` as a JSON string (quoted, escaped).
std::string jsonString(const char *text);

/// Makes cleave::program::call time every call (for the profile or the
/// trace); `sync` waits for queued device work (NULL on the CPU).
void startCallTiming(cleave_status (*sync)(void));
/// Starts timing the calls of `program`; `sync` waits for queued device
/// work (NULL on the CPU).
void startProfile(const cleave_program &program, cleave_status (*sync)(void));
/// Forgets what the warm-up runs measured.
void resetProfile();
/// Prints `cleave-profile {"program":..,"runs":..,"sites":[..]}` for the
/// `runs` runs since the reset: each site's names, calls, total ms and
/// the placement's predicted ms per call.
void printProfile(const cleave_program &program, size_t runs, FILE *out);

} // namespace cleave::runtime

#endif // CLEAVE_LIB_RUNTIME_PROFILE_H
