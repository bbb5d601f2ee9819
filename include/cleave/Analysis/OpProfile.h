//===- OpProfile.h - measured op times of one machine -----------*- C++ -*-===//
//
// An op profile holds what each distinct op of a model took per call on one
// machine, timed with the runtime's own kernels (cleave-calibrate --model):
// the cost model uses these times where it has them instead of the
// calibrated roofline. Ops are keyed by their signature (op, operand and
// result types, attributes: cleave::graph::opSignature), which the compiler
// computes at placement and writes into every call's site, so that the
// runtime's profile names it. A JSON file:
//
//   {"format": "cleave-op-profile", "version": 1, "machine": "<CPU model>",
//    "kind": "cpu",
//    "ops": [{"signature": "9f3a...", "op": "cleave.matmul",
//             "shapes": "1x16 16x32 1x32", "seconds": 2.1e-06,
//             "calls": 120}]}
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_ANALYSIS_OPPROFILE_H
#define CLEAVE_ANALYSIS_OPPROFILE_H

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace cleave::analysis {

struct ProfiledOp {
  std::string signature, op, shapes;
  /// Mean seconds per call, over `calls` calls.
  double seconds = 0;
  int64_t calls = 0;
};

struct OpProfile {
  /// Where it was measured (the CPU's model name) and the kind of device.
  std::string machine;
  std::string kind = "cpu";
  std::vector<ProfiledOp> ops;

  /// Seconds per call by signature.
  llvm::StringMap<double> secondsBySignature() const;
};

/// The profile of several timings of the same ops: each op any round
/// timed (in the order first seen) with the median of its rounds' times
/// and their calls summed, so that one round the machine slowed down, or a
/// stray preemption among one op's calls, moves no op's time.
OpProfile medianOfRounds(llvm::ArrayRef<OpProfile> rounds);

/// Parses an op profile; errors name what is wrong.
llvm::Expected<OpProfile> parseOpProfile(llvm::StringRef json);
/// Reads the op profile file `path`.
llvm::Expected<OpProfile> loadOpProfile(llvm::StringRef path);
/// The JSON parseOpProfile reads back.
std::string printOpProfile(const OpProfile &profile);

} // namespace cleave::analysis

#endif // CLEAVE_ANALYSIS_OPPROFILE_H
