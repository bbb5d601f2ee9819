//===- cleave-run.cpp - run a compiled bundle -----------------------------===//
//
//   cleave-run bundle/ --input x=x.npy --output y=y.npy [--benchmark]
//              [--num-threads N] [--repeat N] [--warmup N]
//
// Reads the bundle's manifest, starts its device program(s) and reports the
// latency. One device runs as a plain process; several devices run as one
// MPI job, one process per device, started with mpirun's MPMD form
// (`mpirun -np 1 device_0 ... : -np 1 device_1 ...`), on this host or on the
// hosts of --hostfile. Each device gets the inputs it reads and writes the
// outputs it makes; if one fails, MPI stops the others and cleave-run exits
// non-zero with the device's message. CUDA bundles run the same way; the
// runtime's CLEAVE_* settings (CLEAVE_TRANSPORT=mpi|nccl, ...) are passed
// on to every device.
//
//===----------------------------------------------------------------------===//

#include "cleave/Runtime/BundleFormat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdlib>
#include <map>

namespace cl = llvm::cl;
extern char **environ;

namespace {
cl::OptionCategory runCategory("cleave-run");
cl::opt<std::string> bundlePath(cl::Positional, cl::desc("<bundle folder>"),
                                cl::Required, cl::cat(runCategory));
cl::list<std::string> inputs("input", cl::desc("name=file (.npy or .pb)"),
                             cl::value_desc("name=file"), cl::cat(runCategory));
cl::list<std::string> outputs("output", cl::desc("name=file (.npy or .pb)"),
                              cl::value_desc("name=file"),
                              cl::cat(runCategory));
cl::opt<bool> benchmark("benchmark",
                        cl::desc("Repeat runs and print min/p50/p90 latency "
                                 "and throughput"),
                        cl::cat(runCategory));
cl::opt<unsigned> threads("num-threads",
                          cl::desc("Threads per device (0: all cores)"),
                          cl::init(0), cl::cat(runCategory));
cl::opt<unsigned> repeat("repeat",
                         cl::desc("Timed runs (default 1, or 50 "
                                  "with --benchmark)"),
                         cl::cat(runCategory));
cl::opt<unsigned> warmup("warmup",
                         cl::desc("Untimed runs first (default 0, "
                                  "or 5 with --benchmark)"),
                         cl::cat(runCategory));
cl::opt<unsigned> microbatches(
    "microbatches",
    cl::desc("Split the inputs into M microbatches along axis 0 (compile "
             "the model for one microbatch) and pipeline them through the "
             "devices; outputs are joined back"),
    cl::init(1), cl::cat(runCategory));
cl::opt<bool> report("report",
                     cl::desc("Print each device's measured busy time per "
                              "microbatch beside the placement's prediction"),
                     cl::cat(runCategory));
cl::opt<std::string> hostfile("hostfile",
                              cl::desc("MPI hostfile for multi-device bundles "
                                       "(default: every device on this host)"),
                              cl::cat(runCategory));
cl::opt<std::string> mpirunPath("mpirun", cl::desc("The mpirun to use"),
                                cl::init("mpirun"), cl::cat(runCategory));

int fail(const llvm::Twine &message) {
  llvm::errs() << "cleave-run: error: " << message << "\n";
  return 1;
}

constexpr int64_t kBundleFormatVersion = CLEAVE_BUNDLE_FORMAT_VERSION;
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(runCategory);
  cl::ParseCommandLineOptions(argc, argv, "Cleave bundle runner\n");

  llvm::SmallString<256> manifestPath(bundlePath);
  llvm::sys::path::append(manifestPath, CLEAVE_BUNDLE_MANIFEST);
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
  auto inBundle = [&](llvm::StringRef name) {
    llvm::SmallString<256> path(bundlePath);
    llvm::sys::path::append(path, name);
    return std::string(path);
  };
  unsigned runs = repeat.getNumOccurrences() ? repeat : (benchmark ? 50 : 1);
  unsigned warm = warmup.getNumOccurrences() ? warmup : (benchmark ? 5 : 0);
  bool multi = devices->size() > 1;

  // Which device reads each input and makes each output.
  llvm::StringMap<llvm::SmallVector<size_t>> readers;
  llvm::StringMap<size_t> makers;
  std::vector<std::vector<std::string>> deviceArgs;
  for (auto [k, value] : llvm::enumerate(*devices)) {
    llvm::json::Object *device = value.getAsObject();
    std::optional<llvm::StringRef> executable =
        device ? device->getString("executable") : std::nullopt;
    std::optional<llvm::StringRef> weights =
        device ? device->getString("weights") : std::nullopt;
    if (!executable || !weights)
      return fail(llvm::formatv("{0}: device {1} has no executable or weights",
                                manifestPath, k));
    std::string program = inBundle(*executable);
    if (!llvm::sys::fs::can_execute(program))
      return fail("'" + program +
                  "' is missing or not executable (was the "
                  "bundle built with --emit=sources?)");
    if (multi) {
      llvm::json::Array *ins = device->getArray("inputs");
      llvm::json::Array *outs = device->getArray("outputs");
      if (!ins || !outs)
        return fail(llvm::formatv("{0}: device {1} lists no inputs or outputs",
                                  manifestPath, k));
      for (const llvm::json::Value &name : *ins)
        readers[*name.getAsString()].push_back(k);
      for (const llvm::json::Value &name : *outs)
        makers[*name.getAsString()] = k;
    }
    deviceArgs.push_back(
        {program, "--weights", inBundle(*weights), "--num-threads",
         std::to_string(threads), "--repeat", std::to_string(runs), "--warmup",
         std::to_string(warm), "--microbatches", std::to_string(microbatches)});
  }
  for (const std::string &spec : inputs) {
    llvm::StringRef name = llvm::StringRef(spec).split('=').first;
    if (!multi) {
      deviceArgs[0].insert(deviceArgs[0].end(), {"--input", spec});
      continue;
    }
    auto it = readers.find(name);
    if (it == readers.end())
      return fail("the model has no input named '" + name + "'");
    for (size_t k : it->second)
      deviceArgs[k].insert(deviceArgs[k].end(), {"--input", spec});
  }
  for (const std::string &spec : outputs) {
    llvm::StringRef name = llvm::StringRef(spec).split('=').first;
    if (!multi) {
      deviceArgs[0].insert(deviceArgs[0].end(), {"--output", spec});
      continue;
    }
    auto it = makers.find(name);
    if (it == makers.end())
      return fail("the model has no output named '" + name + "'");
    deviceArgs[it->second].insert(deviceArgs[it->second].end(),
                                  {"--output", spec});
  }

  // One device: the program itself. Several: an MPMD mpirun command.
  std::vector<std::string> args;
  std::string program;
  if (!multi) {
    args = deviceArgs[0];
    program = args[0];
  } else {
    llvm::ErrorOr<std::string> mpirun =
        llvm::sys::findProgramByName(mpirunPath);
    if (!mpirun)
      return fail("this bundle has " + llvm::Twine(devices->size()) +
                  " devices and needs '" + mpirunPath +
                  "' (OpenMPI) to start them");
    program = *mpirun;
    args = {program, "--oversubscribe"};
    if (!hostfile.empty())
      args.insert(args.end(), {"--hostfile", hostfile});
    // The runtime's settings reach the devices on other hosts too.
    for (const char *name : {"CLEAVE_TRANSPORT", "CLEAVE_CUDA_DEVICE",
                             "CLEAVE_CUDA_GRAPHS", "CLEAVE_NCCL_TIMEOUT_S"})
      if (std::getenv(name))
        args.insert(args.end(), {"-x", name});
    for (auto [k, device] : llvm::enumerate(deviceArgs)) {
      if (k)
        args.push_back(":");
      args.insert(args.end(), {"-np", "1"});
      args.insert(args.end(), device.begin(), device.end());
    }
  }
  llvm::SmallVector<llvm::StringRef> argRefs(args.begin(), args.end());
  // mpirun refuses root unless told; containers often run as root.
  std::vector<llvm::StringRef> environment;
  std::vector<std::string> environmentStorage;
  std::optional<llvm::ArrayRef<llvm::StringRef>> env;
  if (multi) {
    for (char **e = environ; *e; ++e)
      environmentStorage.push_back(*e);
    environmentStorage.push_back("OMPI_ALLOW_RUN_AS_ROOT=1");
    environmentStorage.push_back("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1");
    environment.assign(environmentStorage.begin(), environmentStorage.end());
    env = environment;
  }

  // The devices print their timing on stdout. Their errors go straight to
  // ours, except under mpirun, whose report is read for the rank that died.
  llvm::SmallString<128> timingPath, errorPath;
  for (auto *path : {&timingPath, &errorPath})
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile("cleave-run", "txt", *path))
      return fail("cannot create a temporary file: " + ec.message());
  std::optional<llvm::StringRef> redirects[] = {
      std::nullopt, llvm::StringRef(timingPath),
      multi ? std::optional<llvm::StringRef>(errorPath) : std::nullopt};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(program, argRefs, env, redirects, 0, 0,
                                     &message);
  auto timing = llvm::MemoryBuffer::getFile(timingPath);
  auto errors = llvm::MemoryBuffer::getFile(errorPath);
  llvm::sys::fs::remove(timingPath);
  llvm::sys::fs::remove(errorPath);
  if (multi && errors) {
    llvm::StringRef text = (*errors)->getBuffer();
    llvm::errs() << text;
    // "mpirun noticed that process rank 1 with PID ... exited on signal 9"
    size_t at = text.find("process rank ");
    if (rc != 0 && at != llvm::StringRef::npos) {
      llvm::StringRef rest = text.drop_front(at + 13);
      llvm::StringRef rank = rest.take_while(llvm::isDigit);
      size_t how = rest.find(" exited on ");
      std::string reason =
          how == llvm::StringRef::npos
              ? "it stopped"
              : rest.drop_front(how + 1)
                    .take_until([](char c) { return c == '\n'; })
                    .rtrim('.')
                    .str();
      return fail("device " + rank + " (MPI rank " + rank + ") " + reason +
                  "; the other devices were stopped");
    }
  }
  if (rc != 0)
    return fail((multi ? llvm::Twine("the devices (mpirun)")
                       : "device 0 (" + program + ")") +
                " failed" +
                (message.empty()
                     ? llvm::Twine(" with exit code ") + llvm::Twine(rc)
                     : llvm::Twine(": ") + message));

  // Every device prints its timing; the slowest is the model's (the last
  // stage waits for all the others).
  llvm::StringRef text = timing ? (*timing)->getBuffer() : "";
  double minMs = 0, p50 = 0, p90 = 0;
  size_t reports = 0;
  std::map<int64_t, double> busyByDevice; // ms per microbatch
  for (size_t at = text.find("cleave-timing "); at != llvm::StringRef::npos;
       at = text.find("cleave-timing ", at + 1)) {
    llvm::Expected<llvm::json::Value> times = llvm::json::parse(
        text.drop_front(at + 14).take_until([](char c) { return c == '\n'; }));
    if (!times)
      return fail(llvm::toString(times.takeError()));
    llvm::json::Object *t = times->getAsObject();
    minMs = std::max(minMs, t->getNumber("min_ms").value_or(0));
    p50 = std::max(p50, t->getNumber("p50_ms").value_or(0));
    p90 = std::max(p90, t->getNumber("p90_ms").value_or(0));
    ++reports;
    int64_t index = 0;
    if (std::optional<llvm::StringRef> name = t->getString("program"))
      name->drop_front(name->find('_') + 1).getAsInteger(10, index);
    busyByDevice[index] =
        t->getNumber("busy_p50_ms").value_or(0) /
        std::max<int64_t>(1, t->getInteger("microbatches").value_or(1));
  }
  if (reports != devices->size())
    return fail(llvm::formatv("{0} of {1} devices printed their timing",
                              reports, devices->size()));
  if (report) {
    llvm::outs() << llvm::formatv("{0,-10} {1,14} {2,14} {3,8}\n", "device",
                                  "predicted ms", "measured ms", "error");
    for (auto [k, value] : llvm::enumerate(*devices)) {
      std::optional<double> predicted =
          value.getAsObject()->getNumber("predicted_ms");
      double measured = busyByDevice[(int64_t)k];
      llvm::outs() << llvm::formatv(
          "{0,-10} {1,14} {2,14:f3} {3,8}\n", "device_" + std::to_string(k),
          predicted ? llvm::formatv("{0:f3}", *predicted).str() : "-", measured,
          predicted && measured > 0
              ? llvm::formatv("{0:f1}%",
                              100 * (*predicted - measured) / measured)
                    .str()
              : "-");
    }
  }
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
