//===- LrSchedule.cpp - the learning rate step by step ---------------------===//

#include "cleave/Runtime/LrSchedule.h"
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <vector>

namespace cleave {

double LrSchedule::factor(double s) const {
  switch (kind) {
  case Constant:
    return 1;
  case Step:
    return std::pow(gamma, std::floor(s / every));
  case Exponential:
    return std::pow(gamma, s);
  case Linear:
  case Cosine:
    break;
  }
  if (s < warmup)
    return s / warmup;
  double progress = std::min(1.0, (s - warmup) / std::max(1.0, total - warmup));
  return kind == Linear ? 1 - progress
                        : 0.5 * (1 + std::cos(M_PI * progress));
}

std::string parseLrSchedule(const std::string &spec, LrSchedule &out) {
  std::string what = "--lr-schedule=" + spec + ": ";
  std::string name = spec.substr(0, spec.find(':'));
  std::map<std::string, double> keys;
  if (size_t colon = spec.find(':'); colon != std::string::npos) {
    std::string rest = spec.substr(colon + 1);
    for (size_t at = 0; at <= rest.size();) {
      size_t comma = std::min(rest.find(',', at), rest.size());
      std::string item = rest.substr(at, comma - at);
      size_t eq = item.find('=');
      char *end = nullptr;
      double value = eq == std::string::npos
                         ? 0
                         : std::strtod(item.c_str() + eq + 1, &end);
      if (eq == std::string::npos || eq == 0 || end == item.c_str() + eq + 1 ||
          *end)
        return what + "expected key=number, got '" + item + "'";
      keys[item.substr(0, eq)] = value;
      at = comma + 1;
    }
  }
  struct Kind {
    const char *name;
    LrSchedule::Kind kind;
    std::vector<std::string> required, optional;
  };
  static const Kind kinds[] = {
      {"constant", LrSchedule::Constant, {}, {}},
      {"step", LrSchedule::Step, {"every"}, {"gamma"}},
      {"exponential", LrSchedule::Exponential, {"gamma"}, {}},
      {"linear", LrSchedule::Linear, {"total"}, {"warmup"}},
      {"cosine", LrSchedule::Cosine, {"total"}, {"warmup"}},
  };
  const Kind *kind = nullptr;
  for (const Kind &k : kinds)
    if (name == k.name)
      kind = &k;
  if (!kind)
    return what + "the schedule is constant, step:every=N[,gamma=G], "
                  "exponential:gamma=G, linear:total=T[,warmup=W] or "
                  "cosine:total=T[,warmup=W], not '" + name + "'";
  for (const auto &[key, value] : keys)
    if (std::find(kind->required.begin(), kind->required.end(), key) ==
            kind->required.end() &&
        std::find(kind->optional.begin(), kind->optional.end(), key) ==
            kind->optional.end())
      return what + "'" + key + "' is not an option of " + name;
  for (const std::string &key : kind->required)
    if (!keys.count(key))
      return what + name + " needs " + key + "=";
  out = LrSchedule();
  out.kind = kind->kind;
  auto get = [&](const char *key, double &field) {
    if (keys.count(key))
      field = keys[key];
  };
  get("every", out.every);
  get("gamma", out.gamma);
  get("total", out.total);
  get("warmup", out.warmup);
  if (out.every < 1 || out.gamma <= 0 || out.warmup < 0 ||
      (kind->kind >= LrSchedule::Linear && out.total <= out.warmup))
    return what + "needs every >= 1, gamma > 0, warmup >= 0 and total > "
                  "warmup";
  return "";
}

} // namespace cleave
