//===- Profile.cpp - per-call times of a device program ---------------===//

#include "Profile.h"
#include "Trace.h"
#include <string>
#include <vector>

int cleave_profile_on = 0;
cleave_status (*cleave_profile_sync)(void) = nullptr;

namespace {

struct SiteTotal {
  long calls = 0;
  double seconds = 0;
};
std::vector<SiteTotal> totals;

} // namespace

/// `text` as a JSON string.
std::string cleave::runtime::jsonString(const char *text) {
  std::string out = "\"";
  for (const char *c = text ? text : ""; *c; ++c) {
    unsigned char u = (unsigned char)*c;
    if (u == '"' || u == '\\') {
      out += '\\';
      out += *c;
    } else if (u < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", u);
      out += escaped;
    } else {
      out += *c;
    }
  }
  return out + "\"";
}

void cleave_profile_record(int32_t site, int64_t start_ns, int64_t end_ns) {
  if (cleave::runtime::tracing())
    cleave::runtime::traceCall(site, start_ns, end_ns);
  if (site < 0 || (size_t)site >= totals.size())
    return;
  ++totals[site].calls;
  totals[site].seconds += (end_ns - start_ns) * 1e-9;
}

namespace cleave::runtime {

void startCallTiming(cleave_status (*sync)(void)) {
  cleave_profile_sync = sync;
  cleave_profile_on = 1;
}

void startProfile(const cleave_program &program, cleave_status (*sync)(void)) {
  totals.assign((size_t)program.num_sites, SiteTotal());
  startCallTiming(sync);
}

void resetProfile() { totals.assign(totals.size(), SiteTotal()); }

void printProfile(const cleave_program &program, size_t runs, FILE *out) {
  std::string line = "cleave-profile {\"program\":" + jsonString(program.name) +
                     ",\"runs\":" + std::to_string(runs) + ",\"sites\":[";
  bool first = true;
  for (size_t i = 0; i < totals.size(); ++i) {
    if (!totals[i].calls)
      continue;
    const cleave_program_site &site = program.sites[i];
    char numbers[128];
    std::snprintf(numbers, sizeof numbers,
                  ",\"calls\":%ld,\"ms\":%.6f,\"predicted_ms\":%.6f}",
                  totals[i].calls, totals[i].seconds * 1e3,
                  site.predicted_ms);
    line += std::string(first ? "" : ",") + "{\"site\":" + std::to_string(i) +
            ",\"kernel\":" + jsonString(site.kernel) + ",\"op\":" +
            jsonString(site.op) + ",\"node\":" + jsonString(site.node) +
            ",\"shapes\":" + jsonString(site.shapes) +
            ",\"signature\":" + jsonString(site.signature) + numbers;
    first = false;
  }
  std::fprintf(out, "%s]}\n", line.c_str());
}

} // namespace cleave::runtime
