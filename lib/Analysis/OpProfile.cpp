//===- OpProfile.cpp - measured op times of one machine -------------------===//

#include "cleave/Analysis/OpProfile.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace llvm;

namespace cleave::analysis {

StringMap<double> OpProfile::secondsBySignature() const {
  StringMap<double> seconds;
  for (const ProfiledOp &op : ops)
    seconds[op.signature] = op.seconds;
  return seconds;
}

OpProfile medianOfRounds(ArrayRef<OpProfile> rounds) {
  if (rounds.empty())
    return {};
  OpProfile profile = rounds.front();
  // Every op any round timed, in the order first seen.
  StringMap<bool> seen;
  for (const ProfiledOp &op : profile.ops)
    seen[op.signature] = true;
  for (const OpProfile &round : rounds.drop_front())
    for (const ProfiledOp &op : round.ops)
      if (seen.try_emplace(op.signature, true).second)
        profile.ops.push_back(op);
  for (ProfiledOp &op : profile.ops) {
    std::vector<double> seconds;
    op.calls = 0;
    for (const OpProfile &round : rounds)
      for (const ProfiledOp &same : round.ops)
        if (same.signature == op.signature) {
          seconds.push_back(same.seconds);
          op.calls += same.calls;
        }
    llvm::sort(seconds);
    size_t n = seconds.size();
    op.seconds =
        n % 2 ? seconds[n / 2] : (seconds[n / 2 - 1] + seconds[n / 2]) / 2;
  }
  return profile;
}

Expected<OpProfile> parseOpProfile(StringRef json) {
  auto fail = [](const Twine &message) {
    return createStringError(inconvertibleErrorCode(),
                             "op profile: " + message);
  };
  Expected<json::Value> parsed = json::parse(json);
  if (!parsed)
    return fail(toString(parsed.takeError()));
  const json::Object *root = parsed->getAsObject();
  if (!root || root->getString("format") != "cleave-op-profile")
    return fail("not a cleave-op-profile file");
  if (root->getInteger("version") != 1)
    return fail("version " +
                Twine(root->getInteger("version").value_or(-1)) +
                " is not supported (this compiler reads version 1)");
  OpProfile profile;
  profile.machine = root->getString("machine").value_or("").str();
  profile.kind = root->getString("kind").value_or("cpu").str();
  const json::Array *ops = root->getArray("ops");
  if (!ops)
    return fail("no \"ops\" list");
  for (const json::Value &entry : *ops) {
    const json::Object *object = entry.getAsObject();
    std::optional<StringRef> signature =
        object ? object->getString("signature") : std::nullopt;
    std::optional<double> seconds =
        object ? object->getNumber("seconds") : std::nullopt;
    if (!signature || !seconds || *seconds < 0)
      return fail("op " + Twine(profile.ops.size()) +
                  " needs a \"signature\" and non-negative \"seconds\"");
    ProfiledOp op;
    op.signature = signature->str();
    op.seconds = *seconds;
    op.op = object->getString("op").value_or("").str();
    op.shapes = object->getString("shapes").value_or("").str();
    op.calls = object->getInteger("calls").value_or(0);
    profile.ops.push_back(std::move(op));
  }
  return profile;
}

Expected<OpProfile> loadOpProfile(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> file = MemoryBuffer::getFile(path);
  if (!file)
    return createStringError(file.getError(), "cannot read the op profile '" +
                                                  path + "': " +
                                                  file.getError().message());
  Expected<OpProfile> profile = parseOpProfile((*file)->getBuffer());
  if (!profile)
    return createStringError(inconvertibleErrorCode(),
                             path + ": " + toString(profile.takeError()));
  return profile;
}

std::string printOpProfile(const OpProfile &profile) {
  json::Array ops;
  for (const ProfiledOp &op : profile.ops)
    ops.push_back(json::Object{{"signature", op.signature},
                               {"op", op.op},
                               {"shapes", op.shapes},
                               {"seconds", op.seconds},
                               {"calls", op.calls}});
  json::Object root{{"format", "cleave-op-profile"},
                    {"version", 1},
                    {"machine", profile.machine},
                    {"kind", profile.kind},
                    {"ops", std::move(ops)}};
  std::string text;
  raw_string_ostream os(text);
  os << formatv("{0:2}", json::Value(std::move(root))) << "\n";
  return text;
}

} // namespace cleave::analysis
