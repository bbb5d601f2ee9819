//===- TrainingSpec.h - "kind:key=value,..." options of training -*- C++ -*-===//
//
// --loss and --optimizer (and the passes that take them) are written
// `kind:key=value,key=value`, or `kind:name` for a single positional value.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_DIALECT_CLEAVE_TRANSFORMS_TRAININGSPEC_H
#define CLEAVE_LIB_DIALECT_CLEAVE_TRANSFORMS_TRAININGSPEC_H

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"
#include <string>

namespace cleave::graph {

struct TrainingSpec {
  std::string kind;
  /// The value of `kind:value` (no '=').
  std::string positional;
  llvm::StringMap<std::string> options;

  static TrainingSpec parse(llvm::StringRef text) {
    TrainingSpec spec;
    auto [kind, rest] = text.split(':');
    spec.kind = kind.trim().str();
    llvm::SmallVector<llvm::StringRef> items;
    rest.split(items, ',', -1, /*KeepEmpty=*/false);
    for (llvm::StringRef item : items) {
      auto [key, value] = item.split('=');
      if (!item.contains('='))
        spec.positional = key.trim().str();
      else
        spec.options[key.trim()] = value.trim().str();
    }
    return spec;
  }

  /// The keys not in `known` (comma-separated in the message).
  std::string unknownKeys(std::initializer_list<llvm::StringRef> known) const {
    std::string unknown;
    for (const auto &entry : options)
      if (!llvm::is_contained(known, entry.getKey()))
        unknown += (unknown.empty() ? "'" : ", '") + entry.getKey().str() + "'";
    return unknown;
  }

  /// The number under `key`, or `fallback`; nullopt when it does not parse.
  std::optional<double> number(llvm::StringRef key, double fallback) const {
    auto it = options.find(key);
    if (it == options.end())
      return fallback;
    double value;
    if (llvm::StringRef(it->second).getAsDouble(value))
      return std::nullopt;
    return value;
  }
};

} // namespace cleave::graph

#endif // CLEAVE_LIB_DIALECT_CLEAVE_TRANSFORMS_TRAININGSPEC_H
