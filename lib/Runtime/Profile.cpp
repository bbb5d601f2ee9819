//===- Profile.cpp - per-call times of a device program ---------------===//

#include "Profile.h"
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

/// `text` as a JSON string.
std::string quoted(const char *text) {
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

} // namespace

void cleave_profile_record(int32_t site, double seconds) {
  if (site < 0 || (size_t)site >= totals.size())
    return;
  ++totals[site].calls;
  totals[site].seconds += seconds;
}

namespace cleave::runtime {

void startProfile(const cleave_program &program, cleave_status (*sync)(void)) {
  totals.assign((size_t)program.num_sites, SiteTotal());
  cleave_profile_sync = sync;
  cleave_profile_on = 1;
}

void resetProfile() { totals.assign(totals.size(), SiteTotal()); }

void printProfile(const cleave_program &program, size_t runs, FILE *out) {
  std::string line = "cleave-profile {\"program\":" + quoted(program.name) +
                     ",\"runs\":" + std::to_string(runs) + ",\"sites\":[";
  bool first = true;
  for (size_t i = 0; i < totals.size(); ++i) {
    if (!totals[i].calls)
      continue;
    const cleave_program_site &site = program.sites[i];
    char numbers[96];
    std::snprintf(numbers, sizeof numbers, ",\"calls\":%ld,\"ms\":%.6f}",
                  totals[i].calls, totals[i].seconds * 1e3);
    line += std::string(first ? "" : ",") + "{\"site\":" + std::to_string(i) +
            ",\"kernel\":" + quoted(site.kernel) + ",\"op\":" +
            quoted(site.op) + ",\"node\":" + quoted(site.node) +
            ",\"shapes\":" + quoted(site.shapes) + numbers;
    first = false;
  }
  std::fprintf(out, "%s]}\n", line.c_str());
}

} // namespace cleave::runtime
