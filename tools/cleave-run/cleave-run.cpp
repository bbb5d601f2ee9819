//===- cleave-run.cpp - run a compiled bundle -----------------------------===//
//
//   cleave-run bundle/ --input x=x.npy --output y=y.npy [--benchmark]
//              [--num-threads N] [--repeat N] [--warmup N]
//
// Reads the bundle's manifest, starts its device program(s) and reports the
// latency. One device runs as a plain process; several devices (pipelines)
// come with the partitioning work and will start under mpirun.
//
//===----------------------------------------------------------------------===//

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

namespace {
cl::opt<std::string> bundlePath(cl::Positional, cl::desc("<bundle folder>"),
                                cl::Required);
cl::list<std::string> inputs("input", cl::desc("name=file (.npy or .pb)"),
                             cl::value_desc("name=file"));
cl::list<std::string> outputs("output", cl::desc("name=file (.npy or .pb)"),
                              cl::value_desc("name=file"));
cl::opt<bool> benchmark("benchmark",
                        cl::desc("Repeat runs and print min/p50/p90 latency "
                                 "and throughput"));
cl::opt<unsigned> threads("num-threads",
                          cl::desc("Threads per device (0: all cores)"),
                          cl::init(0));
cl::opt<unsigned> repeat("repeat", cl::desc("Timed runs (default 1, or 50 "
                                            "with --benchmark)"));
cl::opt<unsigned> warmup("warmup", cl::desc("Untimed runs first (default 0, "
                                            "or 5 with --benchmark)"));

int fail(const llvm::Twine &message) {
  llvm::errs() << "cleave-run: error: " << message << "\n";
  return 1;
}

constexpr int64_t kBundleFormatVersion = 1;
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "Cleave bundle runner\n");

  llvm::SmallString<256> manifestPath(bundlePath);
  llvm::sys::path::append(manifestPath, "manifest.json");
  auto buffer = llvm::MemoryBuffer::getFile(manifestPath);
  if (!buffer)
    return fail("'" + bundlePath + "' is not a bundle: cannot read " +
                manifestPath + ": " + buffer.getError().message());
  llvm::Expected<llvm::json::Value> parsed =
      llvm::json::parse((*buffer)->getBuffer());
  if (!parsed)
    return fail(manifestPath +
                " is not valid JSON: " + llvm::toString(parsed.takeError()));
  llvm::json::Object *manifest = parsed->getAsObject();
  std::optional<int64_t> version =
      manifest ? manifest->getInteger("format_version") : std::nullopt;
  if (!version)
    return fail(manifestPath + " has no format_version");
  if (*version != kBundleFormatVersion)
    return fail(llvm::formatv("bundle format version {0} is not supported by "
                              "this cleave-run (it reads version {1}); "
                              "recompile the model",
                              *version, kBundleFormatVersion));
  llvm::json::Array *devices = manifest->getArray("devices");
  if (!devices || devices->empty())
    return fail(manifestPath + " lists no devices");
  if (devices->size() > 1)
    return fail("multi-device bundles are not supported by this cleave-run "
                "yet");
  llvm::json::Object *device = (*devices)[0].getAsObject();
  std::optional<llvm::StringRef> executable =
      device ? device->getString("executable") : std::nullopt;
  std::optional<llvm::StringRef> weights =
      device ? device->getString("weights") : std::nullopt;
  if (!executable || !weights)
    return fail(manifestPath + ": device 0 has no executable or weights");
  auto inBundle = [&](llvm::StringRef name) {
    llvm::SmallString<256> path(bundlePath);
    llvm::sys::path::append(path, name);
    return std::string(path);
  };
  std::string program = inBundle(*executable);
  if (!llvm::sys::fs::can_execute(program))
    return fail("'" + program +
                "' is missing or not executable (was the "
                "bundle built with --emit=sources?)");

  unsigned runs = repeat.getNumOccurrences() ? repeat : (benchmark ? 50 : 1);
  unsigned warm = warmup.getNumOccurrences() ? warmup : (benchmark ? 5 : 0);
  std::vector<std::string> args = {program,
                                   "--weights",
                                   inBundle(*weights),
                                   "--num-threads",
                                   std::to_string(threads),
                                   "--repeat",
                                   std::to_string(runs),
                                   "--warmup",
                                   std::to_string(warm)};
  for (const std::string &spec : inputs)
    args.insert(args.end(), {"--input", spec});
  for (const std::string &spec : outputs)
    args.insert(args.end(), {"--output", spec});
  llvm::SmallVector<llvm::StringRef> argRefs(args.begin(), args.end());

  // The device prints its timing on stdout; its errors go straight to ours.
  llvm::SmallString<128> timingPath;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("cleave-run", "txt", timingPath))
    return fail("cannot create a temporary file: " + ec.message());
  std::optional<llvm::StringRef> redirects[] = {
      std::nullopt, llvm::StringRef(timingPath), std::nullopt};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(program, argRefs, std::nullopt, redirects,
                                     0, 0, &message);
  auto timing = llvm::MemoryBuffer::getFile(timingPath);
  llvm::sys::fs::remove(timingPath);
  if (rc != 0)
    return fail("device 0 (" + program + ") failed" +
                (message.empty()
                     ? llvm::Twine(" with exit code ") + llvm::Twine(rc)
                     : llvm::Twine(": ") + message));

  llvm::StringRef text = timing ? (*timing)->getBuffer() : "";
  size_t at = text.rfind("cleave-timing ");
  llvm::Expected<llvm::json::Value> times =
      at == llvm::StringRef::npos
          ? llvm::Expected<llvm::json::Value>(
                llvm::createStringError("the device printed no timing"))
          : llvm::json::parse(text.drop_front(at + 14).take_until(
                [](char c) { return c == '\n'; }));
  if (!times)
    return fail(llvm::toString(times.takeError()));
  llvm::json::Object *t = times->getAsObject();
  double minMs = t->getNumber("min_ms").value_or(0);
  double p50 = t->getNumber("p50_ms").value_or(0);
  double p90 = t->getNumber("p90_ms").value_or(0);
  if (benchmark) {
    llvm::outs() << llvm::formatv(
        "runs {0}  latency min {1:f3} ms  p50 {2:f3} ms  p90 {3:f3} ms  "
        "throughput {4:f1} inferences/s\n",
        runs, minMs, p50, p90, p50 > 0 ? 1000.0 / p50 : 0.0);
  } else {
    llvm::outs() << llvm::formatv("latency {0:f3} ms\n", p50);
  }
  return 0;
}
