//===- LrSchedule.h - the learning rate step by step ------------*- C++ -*-===//
//
// `cleave-run --lr-schedule=<spec>` scales the compiled (or resumed)
// learning rate at every step by a factor of the steps taken so far, s
// (0 at the first step; the variable optimizer.step, so a resumed run
// continues the schedule). The schedules are the ones PyTorch users run:
//
//   constant                       1
//   step:every=N[,gamma=0.1]       gamma^floor(s / N)   (torch StepLR)
//   exponential:gamma=G            G^s                  (ExponentialLR)
//   linear:total=T[,warmup=W]      s / W while s < W, then (T - s) / (T - W)
//                                  down to 0   (transformers'
//                                  get_linear_schedule_with_warmup)
//   cosine:total=T[,warmup=W]      s / W while s < W, then
//                                  (1 + cos(pi (s - W) / (T - W))) / 2,
//                                  0 after T   (get_cosine_schedule_with_warmup)
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_LRSCHEDULE_H
#define CLEAVE_RUNTIME_LRSCHEDULE_H

#include <string>

namespace cleave {

struct LrSchedule {
  enum Kind { Constant, Step, Exponential, Linear, Cosine } kind = Constant;
  double every = 1, gamma = 0.1, total = 0, warmup = 0;

  /// The factor of the base learning rate at step `s` (steps taken).
  double factor(double s) const;
};

/// Parses `spec`; returns an error message, empty on success.
std::string parseLrSchedule(const std::string &spec, LrSchedule &out);

} // namespace cleave

#endif // CLEAVE_RUNTIME_LRSCHEDULE_H
