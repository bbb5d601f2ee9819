//===- Launcher.cpp - run a compiled bundle -------------------------------===//
//
// cleave-run's logic, in the runtime (no LLVM): read the bundle's manifest,
// start its device program(s) and report the latency. One device runs as a
// plain process; several devices run as one MPI job, one process per
// device, started with mpirun's MPMD form (`mpirun -np 1 device_0 ... : -np
// 1 device_1 ...`), on this host or on the hosts of --hostfile. Each device
// gets the inputs it reads and writes the outputs it makes; if one fails,
// MPI stops the others and the launcher exits non-zero with the device's
// message. The runtime's CLEAVE_* settings are passed on to every device.
//
//===----------------------------------------------------------------------===//

#include "cleave/Runtime/Launcher.h"
#include "cleave/Runtime/BundleFormat.h"
#include "cleave/Runtime/Checkpoint.h"
#include "cleave/Runtime/LrSchedule.h"
#include "TraceMerge.h"
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char **environ;

namespace {

using cleave::Checkpoint;
using nlohmann::json;

int fail(const std::string &message) {
  std::fprintf(stderr, "cleave-run: error: %s\n", message.c_str());
  return 1;
}

struct Options {
  std::string bundle;
  std::vector<std::string> inputs, outputs;
  bool benchmark = false, report = false, profile = false;
  std::string profileOut; // --profile=<file.json>
  std::string trace;      // --trace=<file.json>
  unsigned threads = 0, microbatches = 1, steps = 0;
  std::string save, resume, exportOnnx, lrSchedule;
  std::optional<unsigned> repeat, warmup;
  std::string hostfile, mpirun = "mpirun";
};

const char *kHelp =
    "OVERVIEW: Cleave bundle runner\n\n"
    "USAGE: cleave-run [options] <bundle folder>\n\n"
    "OPTIONS:\n\n"
    "  --benchmark           - Repeat runs and print min/p50/p90 latency and "
    "throughput\n"
    "  --hostfile=<string>   - MPI hostfile for multi-device bundles "
    "(default: every device on this host)\n"
    "  --input=<name=file>   - name=file (.npy or .pb)\n"
    "  --microbatches=<uint> - Split the inputs into M microbatches along "
    "axis 0 (compile the model for one microbatch) and pipeline them "
    "through the devices; outputs are joined back\n"
    "  --mpirun=<string>     - The mpirun to use\n"
    "  --num-threads=<uint>  - Threads per device (0: all cores)\n"
    "  --output=<name=file>  - name=file (.npy or .pb)\n"
    "  --profile[=<file>]    - Time every kernel and transfer call; print "
    "each device's time by op and its slowest calls (with a file: also "
    "write every call's totals there as JSON)\n"
    "  --trace=<file>        - Write a timeline of every device (each call, "
    "transfer and wait, flows from sends to receives, the arena in use) "
    "as a trace-event file for ui.perfetto.dev or chrome://tracing\n"
    "  --repeat=<uint>       - Timed runs (default 1, or 50 with "
    "--benchmark)\n"
    "  --lr-schedule=<spec>  - Train: scale the learning rate at each step: "
    "constant, step:every=N[,gamma=G], exponential:gamma=G, "
    "linear:total=T[,warmup=W] or cosine:total=T[,warmup=W] (PyTorch's "
    "and transformers' definitions)\n"
    "  --export-onnx=<file>  - After training, write the model with its "
    "trained initializers (cleave-export-onnx)\n"
    "  --resume=<folder>     - Start from the checkpoint a --save wrote (the "
    "folder, or its checkpoint.safetensors)\n"
    "  --save=<folder>       - After training, write the checkpoint "
    "<folder>/checkpoint.safetensors: parameters under their ONNX names, "
    "optimizer state and step\n"
    "  --steps=<uint>        - Train: run S steps, each on the next batch of "
    "every input (the files stack S batches on a new leading axis); "
    "outputs stack one result per step\n"
    "  --report              - Print each device's measured busy time per "
    "microbatch beside the placement's prediction, and the ops that take "
    "the most time on each (CPU bundles)\n"
    "  --warmup=<uint>       - Untimed runs first (default 0, or 5 with "
    "--benchmark)\n"
    "  --help                - Display available options\n";

/// Parses LLVM-style options (`--name=value`, `--name value`, `-name`);
/// returns an error message or "".
std::string parseOptions(int argc, char **argv, Options &o, bool &help) {
  auto number = [](const std::string &text, unsigned &out) {
    if (text.empty() ||
        !std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isdigit((unsigned char)c); }))
      return false;
    out = (unsigned)std::strtoul(text.c_str(), nullptr, 10);
    return true;
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') {
      if (!o.bundle.empty())
        return "too many positional arguments: '" + arg + "'";
      o.bundle = arg;
      continue;
    }
    std::string name = arg.substr(arg.find_first_not_of('-'));
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto take = [&]() -> std::optional<std::string> {
      if (value)
        return value;
      if (i + 1 < argc)
        return std::string(argv[++i]);
      return std::nullopt;
    };
    if (name == "help") {
      help = true;
    } else if (name == "benchmark" || name == "report") {
      if (value)
        return "--" + name + " takes no value";
      (name == "benchmark" ? o.benchmark : o.report) = true;
    } else if (name == "profile") {
      o.profile = true;
      o.profileOut = value.value_or("");
    } else if (name == "trace") {
      if (!value || value->empty())
        return "--trace needs a file: --trace=trace.json";
      o.trace = *value;
    } else if (name == "input" || name == "output" || name == "hostfile" ||
               name == "mpirun" || name == "save" || name == "resume" ||
               name == "export-onnx" || name == "lr-schedule") {
      std::optional<std::string> v = take();
      if (!v)
        return "--" + name + " needs a value";
      if (name == "input")
        o.inputs.push_back(*v);
      else if (name == "output")
        o.outputs.push_back(*v);
      else if (name == "save" || name == "resume")
        (name == "save" ? o.save : o.resume) = *v;
      else if (name == "export-onnx")
        o.exportOnnx = *v;
      else if (name == "lr-schedule")
        o.lrSchedule = *v;
      else
        (name == "hostfile" ? o.hostfile : o.mpirun) = *v;
    } else if (name == "num-threads" || name == "repeat" ||
               name == "warmup" || name == "microbatches" ||
               name == "steps") {
      std::optional<std::string> v = take();
      unsigned n = 0;
      if (!v || !number(*v, n))
        return "--" + name + " needs a number";
      if (name == "num-threads")
        o.threads = n;
      else if (name == "repeat")
        o.repeat = n;
      else if (name == "warmup")
        o.warmup = n;
      else if (name == "steps") {
        if (n == 0)
          return "--steps needs a positive number";
        o.steps = n;
      }
      else
        o.microbatches = n;
    } else {
      return "unknown option '" + arg + "' (see --help)";
    }
  }
  if (!help && o.bundle.empty())
    return "no bundle given (cleave-run <bundle folder> ...; see --help)";
  if (o.steps && (o.benchmark || o.repeat || o.warmup || o.microbatches > 1))
    return "--steps trains once through the steps: no --benchmark, "
           "--repeat, --warmup or --microbatches";
  return "";
}

std::string inFolder(const std::string &folder, const std::string &name) {
  return folder.empty() || folder.back() == '/' ? folder + name
                                                : folder + "/" + name;
}

/// `name` on PATH (or as given, if it has a slash), or "".
std::string findProgram(const std::string &name) {
  if (name.find('/') != std::string::npos)
    return access(name.c_str(), X_OK) == 0 ? name : "";
  const char *path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = inFolder(dir.empty() ? "." : dir, name);
    if (access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return "";
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// $TMPDIR/cleave-run-XXXXXX (or under /tmp), NUL-terminated for mkstemp
/// and mkdtemp.
std::vector<char> temporaryPattern() {
  const char *dir = std::getenv("TMPDIR");
  std::string pattern =
      inFolder(dir && *dir ? dir : "/tmp", "cleave-run-XXXXXX");
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  return name;
}

/// A temporary file's path (the file exists, empty), or "".
std::string temporaryFile() {
  std::vector<char> name = temporaryPattern();
  int fd = mkstemp(name.data());
  if (fd < 0)
    return "";
  close(fd);
  return name.data();
}

/// Runs `args` (args[0] the program) with stdout to `outPath` and, when
/// given, stderr to `errPath`; the exit code, or -1 with `why` set.
int runAndWait(const std::vector<std::string> &args,
               const std::vector<std::string> &environment,
               const std::string &outPath, const std::string &errPath,
               std::string &why) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, outPath.c_str(),
                                   O_WRONLY | O_TRUNC, 0600);
  if (!errPath.empty())
    posix_spawn_file_actions_addopen(&actions, 2, errPath.c_str(),
                                     O_WRONLY | O_TRUNC, 0600);
  std::vector<char *> argv, envp;
  for (const std::string &a : args)
    argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string &e : environment)
    envp.push_back(const_cast<char *>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(),
                       envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    why = "cannot start it: " + std::string(std::strerror(rc));
    return -1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) {
      why = "cannot wait for it: " + std::string(std::strerror(errno));
      return -1;
    }
  if (WIFSIGNALED(status)) {
    why = std::string(strsignal(WTERMSIG(status)));
    return -1;
  }
  return WEXITSTATUS(status);
}

std::string format(const char *pattern, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char *pattern, ...) {
  char text[512];
  va_list args;
  va_start(args, pattern);
  std::vsnprintf(text, sizeof text, pattern, args);
  va_end(args);
  return text;
}

/// --report's verdict on the stages' balance: the slowest one's busy time
/// against the mean (what a pipeline loses to it), measured and predicted.
void printBalance(const json &devices, std::map<int64_t, double> &busy) {
  double most = 0, sum = 0, predictedMost = 0, predictedSum = 0;
  size_t slowest = 0, predictedSlowest = 0;
  bool predicted = true;
  for (size_t k = 0; k < devices.size(); ++k) {
    double measured = busy[(int64_t)k];
    sum += measured;
    if (measured > most)
      most = measured, slowest = k;
    const json &p = devices[k].value("predicted_ms", json());
    predicted &= p.is_number();
    double ms = p.is_number() ? p.get<double>() : 0;
    predictedSum += ms;
    if (ms > predictedMost)
      predictedMost = ms, predictedSlowest = k;
  }
  if (sum <= 0)
    return;
  double ratio = most / (sum / devices.size());
  std::string verdict =
      ratio <= 1.05 ? "balanced within 5%"
                    : format("device_%zu is the bottleneck, %.0f%% above the "
                             "mean",
                             slowest, 100 * (ratio - 1));
  std::printf("balance: the slowest stage is %.2fx the mean (%s)", ratio,
              verdict.c_str());
  if (predicted && predictedSum > 0) {
    double predictedRatio = predictedMost / (predictedSum / devices.size());
    std::printf("; predicted %.2fx%s", predictedRatio,
                ratio > 1.05 && predictedSlowest != slowest
                    ? format(", with device_%zu the slowest: the cost model "
                             "misjudged which stage is slow",
                             predictedSlowest)
                          .c_str()
                    : "");
  }
  std::printf("\n");
}

/// The devices' `cleave-profile` lines, one object per device, by program
/// name; returns an error or "".
std::string readProfiles(const std::string &timing, json &all) {
  all = json::array();
  for (size_t at = timing.find("cleave-profile "); at != std::string::npos;
       at = timing.find("cleave-profile ", at + 1)) {
    std::string line = timing.substr(at + 15);
    json p = json::parse(line.substr(0, line.find('\n')), nullptr, false);
    if (!p.is_object() || !p.value("sites", json()).is_array())
      return "a device printed a profile that is not JSON: " + line;
    all.push_back(p);
  }
  std::sort(all.begin(), all.end(), [](const json &a, const json &b) {
    return a.value("program", std::string()) <
           b.value("program", std::string());
  });
  return "";
}

/// The devices' profiles as tables: per device, the time per run by graph
/// op, then its slowest calls. With `path`, their JSON (one object per
/// device) is written there too.
int printProfiles(const json &all, const std::string &path) {
  constexpr size_t kTop = 15;
  for (const json &p : all) {
    double runs = std::max<double>(1, p.value("runs", 1));
    struct Row {
      std::string op;
      double ms = 0, calls = 0;
    };
    std::map<std::string, Row> byOp;
    std::vector<const json *> sites;
    double total = 0, calls = 0;
    for (const json &site : p["sites"]) {
      Row &row = byOp[site.value("op", std::string())];
      row.op = site.value("op", std::string());
      row.ms += site.value("ms", 0.0) / runs;
      row.calls += site.value("calls", 0.0) / runs;
      total += site.value("ms", 0.0) / runs;
      calls += site.value("calls", 0.0) / runs;
      sites.push_back(&site);
    }
    std::vector<Row> rows;
    for (auto &[name, row] : byOp)
      rows.push_back(row);
    std::sort(rows.begin(), rows.end(),
              [](const Row &a, const Row &b) { return a.ms > b.ms; });
    std::sort(sites.begin(), sites.end(), [](const json *a, const json *b) {
      return a->value("ms", 0.0) > b->value("ms", 0.0);
    });
    auto share = [&](double ms) { return total > 0 ? 100 * ms / total : 0.0; };
    std::printf("profile of %s: %.3f ms per run in %.0f calls (mean of %.0f "
                "runs)\n",
                p.value("program", std::string()).c_str(), total, calls, runs);
    std::printf("  %-28s %8s %10s %7s\n", "op", "calls", "ms", "%");
    for (const Row &row : rows)
      std::printf("  %-28s %8.0f %10.3f %6.1f%%\n", row.op.c_str(), row.calls,
                  row.ms, share(row.ms));
    std::printf("  slowest calls:\n  %10s %7s  %-18s %-22s %s\n", "ms", "%",
                "kernel", "op", "node: shapes");
    for (size_t i = 0; i < std::min(kTop, sites.size()); ++i) {
      const json &site = *sites[i];
      double ms = site.value("ms", 0.0) / runs;
      std::printf("  %10.3f %6.1f%%  %-18s %-22s %s: %s\n", ms, share(ms),
                  site.value("kernel", std::string()).c_str(),
                  site.value("op", std::string()).c_str(),
                  site.value("node", std::string()).c_str(),
                  site.value("shapes", std::string()).c_str());
    }
  }
  if (!path.empty()) {
    std::ofstream out(path);
    out << all.dump(1) << "\n";
    if (!out)
      return fail("cannot write the profile to '" + path + "'");
  }
  return 0;
}

/// --report's list of the ops that take the most time on each device,
/// measured beside the placement's prediction (from the devices'
/// profiles): ONNX nodes (or graph ops) by their total per run.
void printTopOps(const json &all) {
  constexpr size_t kTop = 5;
  for (const json &p : all) {
    double runs = std::max<double>(1, p.value("runs", 1));
    struct Row {
      std::string name, op;
      double ms = 0, predicted = 0;
      /// A node's ops (a decomposed node, or the graph's own ops under its
      /// name): the row names the one that takes the most.
      std::map<std::string, double> msByOp;
    };
    std::map<std::string, Row> rows;
    double total = 0;
    for (const json &site : p["sites"]) {
      std::string node = site.value("node", std::string());
      std::string op = site.value("op", std::string());
      Row &row = rows[node.empty() ? op : node];
      row.name = node.empty() ? op : node;
      double &opMs = row.msByOp[op];
      opMs += site.value("ms", 0.0) / runs;
      if (row.op.empty() || opMs > row.msByOp[row.op])
        row.op = op;
      row.ms += site.value("ms", 0.0) / runs;
      row.predicted +=
          site.value("predicted_ms", 0.0) * site.value("calls", 0.0) / runs;
      total += site.value("ms", 0.0) / runs;
    }
    std::vector<Row> top;
    for (auto &[name, row] : rows)
      top.push_back(row);
    std::sort(top.begin(), top.end(),
              [](const Row &a, const Row &b) { return a.ms > b.ms; });
    std::printf("%s: the ops that take the most time (ms per run)\n"
                "  %10s %6s %10s  %-22s %s\n",
                p.value("program", std::string()).c_str(), "measured", "%",
                "predicted", "op", "node");
    for (size_t i = 0; i < std::min(kTop, top.size()); ++i)
      std::printf("  %10.3f %5.1f%% %10s  %-22s %s\n", top[i].ms,
                  total > 0 ? 100 * top[i].ms / total : 0.0,
                  top[i].predicted > 0
                      ? format("%.3f", top[i].predicted).c_str()
                      : "-",
                  top[i].op.c_str(), top[i].name.c_str());
  }
}

} // namespace

/// A private folder (weights files the devices read and write, profiles,
/// traces, mpirun's session directory), removed with all it holds when
/// done.
struct ScratchFolder {
  std::string path;

  /// Creates it; returns an error message or "".
  std::string create() {
    std::vector<char> name = temporaryPattern();
    if (!mkdtemp(name.data()))
      return std::string("cannot create a temporary folder: ") +
             std::strerror(errno);
    path = name.data();
    return "";
  }
  ~ScratchFolder() {
    if (path.empty())
      return;
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

/// Runs cleave-export-onnx (beside this program, else on PATH) on the
/// checkpoint the run wrote.
int exportTrained(const Options &o, const std::string &checkpoint) {
  char self[4096];
  ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string exporter;
  if (length > 0) {
    std::string dir(self, (size_t)length);
    dir = dir.substr(0, dir.rfind('/'));
    if (access((dir + "/cleave-export-onnx").c_str(), X_OK) == 0)
      exporter = dir + "/cleave-export-onnx";
  }
  if (exporter.empty())
    exporter = findProgram("cleave-export-onnx");
  if (exporter.empty())
    return fail("cannot find cleave-export-onnx for --export-onnx (install "
                "the compiler's tools)");
  std::vector<std::string> environment;
  for (char **e = environ; *e; ++e)
    environment.push_back(*e);
  std::string why, log = temporaryFile();
  if (log.empty())
    return fail(std::string("cannot create a temporary file: ") +
                std::strerror(errno));
  int rc = runAndWait({exporter, o.bundle, "--checkpoint", checkpoint, "-o",
                       o.exportOnnx},
                      environment, log, log, why);
  std::fputs(readFile(log).c_str(), rc == 0 ? stdout : stderr);
  std::remove(log.c_str());
  if (rc != 0)
    return fail("cleave-export-onnx failed" + (why.empty() ? "" : ": " + why));
  return 0;
}

extern "C" int cleave_launcher_main(int argc, char **argv) {
  Options o;
  bool help = false;
  std::string error = parseOptions(argc, argv, o, help);
  if (help) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (!error.empty())
    return fail(error);

  std::string manifestPath = inFolder(o.bundle, CLEAVE_BUNDLE_MANIFEST);
  std::ifstream manifestFile(manifestPath);
  if (!manifestFile)
    return fail("'" + o.bundle + "' is not a bundle: cannot read " +
                manifestPath + ": " + std::strerror(errno));
  json manifest = json::parse(manifestFile, nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded())
    return fail(manifestPath + " is not valid JSON");
  if (!manifest.is_object() || !manifest.contains("format_version") ||
      !manifest["format_version"].is_number_integer())
    return fail(manifestPath + " has no format_version");
  int64_t version = manifest["format_version"];
  if (version != CLEAVE_BUNDLE_FORMAT_VERSION)
    return fail(format("bundle format version %lld is not supported by this "
                       "cleave-run (it reads version %d); recompile the model",
                       (long long)version, CLEAVE_BUNDLE_FORMAT_VERSION));
  const json &devices = manifest["devices"];
  // A training bundle updates its weights at every run: only --steps
  // says how many batches it gets.
  if (manifest.contains("model_file") && !o.steps)
    return fail("'" + o.bundle + "' is a training bundle: run it with "
                "--steps=S (each input holding S batches)");
  if (!devices.is_array() || devices.empty())
    return fail(manifestPath + " lists no devices");
  if (!manifest.contains("model_file") &&
      (!o.save.empty() || !o.resume.empty() || !o.exportOnnx.empty() ||
       !o.lrSchedule.empty()))
    return fail("--save, --resume, --export-onnx and --lr-schedule need a "
                "training bundle (cleave-compile --train); '" + o.bundle +
                "' is not one");
  if (!o.lrSchedule.empty()) {
    cleave::LrSchedule schedule;
    if (std::string error = cleave::parseLrSchedule(o.lrSchedule, schedule);
        !error.empty())
      return fail(error);
  }
  unsigned runs = o.repeat ? *o.repeat : (o.benchmark ? 50 : 1);
  unsigned warm = o.warmup ? *o.warmup : (o.benchmark ? 5 : 0);
  // Data-parallel replicas: N copies of every device in one MPI job.
  size_t replicas = 1;
  if (manifest.contains("replicas")) {
    if (!manifest["replicas"].is_number_unsigned() ||
        manifest["replicas"].get<size_t>() == 0)
      return fail(manifestPath + ": replicas must be a positive count");
    replicas = manifest["replicas"].get<size_t>();
  }
  // Inference replicas each run a share of a run's microbatches.
  if (replicas > 1 && !o.steps && o.microbatches < replicas)
    return fail(format("'%s' runs %zu data-parallel replicas, each its share "
                       "of a run's microbatches: give --microbatches=%zu or "
                       "more (a multiple of %zu keeps them equally busy)",
                       o.bundle.c_str(), replicas, replicas, replicas));
  bool multi = devices.size() > 1 || replicas > 1;

  // Which device reads each input and makes each output.
  std::map<std::string, std::vector<size_t>> readers;
  std::map<std::string, size_t> makers;
  std::vector<std::vector<std::string>> deviceArgs;
  // With --profile, each device writes its per-call totals to a file of
  // its own here (lines printed by several devices under mpirun may
  // interleave).
  // --report lists the ops that take the most time from the same per-call
  // times, on the CPU (a GPU's calls would each wait for their kernel).
  bool timeCalls = o.profile || (o.report && manifest.value("target",
                                                            std::string()) ==
                                                 "cpu");
  ScratchFolder profiles;
  if (timeCalls)
    if (std::string error = profiles.create(); !error.empty())
      return fail(error);
  // With --trace, each device writes its timeline here; they are merged
  // into one file after the run.
  ScratchFolder traces;
  if (!o.trace.empty())
    if (std::string error = traces.create(); !error.empty())
      return fail(error);
  // A resumed run's devices read their weights from the checkpoint, laid
  // out for this bundle; a saved or exported one's write them for it.
  ScratchFolder resumed, trained;
  if (!o.resume.empty()) {
    struct stat info;
    std::string file = ::stat(o.resume.c_str(), &info) == 0 &&
                               S_ISDIR(info.st_mode)
                           ? inFolder(o.resume, cleave::kCheckpointFile)
                           : o.resume;
    Checkpoint checkpoint;
    std::string error = cleave::readCheckpoint(file, checkpoint);
    if (error.empty() && (error = resumed.create()).empty())
      error = cleave::scatterCheckpoint(o.bundle, checkpoint, resumed.path);
    if (!error.empty())
      return fail("cannot resume from '" + file + "': " + error);
  }
  if (!o.save.empty() || !o.exportOnnx.empty())
    if (std::string error = trained.create(); !error.empty())
      return fail(error);
  if (!o.save.empty() && ::mkdir(o.save.c_str(), 0755) != 0 &&
      errno != EEXIST)
    return fail("cannot create '" + o.save + "': " + std::strerror(errno));
  for (size_t k = 0; k < devices.size(); ++k) {
    const json &device = devices[k];
    if (!device.is_object() || !device.value("executable", json()).is_string() ||
        !device.value("weights", json()).is_string())
      return fail(format("%s: device %zu has no executable or weights",
                         manifestPath.c_str(), k));
    std::string program =
        inFolder(o.bundle, device["executable"].get<std::string>());
    if (access(program.c_str(), X_OK) != 0)
      return fail("'" + program +
                  "' is missing or not executable (was the bundle built with "
                  "--emit=sources?)");
    if (multi) {
      const json &ins = device.value("inputs", json());
      const json &outs = device.value("outputs", json());
      if (!ins.is_array() || !outs.is_array())
        return fail(format("%s: device %zu lists no inputs or outputs",
                           manifestPath.c_str(), k));
      for (const json &name : ins)
        readers[name.get<std::string>()].push_back(k);
      for (const json &name : outs)
        makers[name.get<std::string>()] = k;
    }
    std::string weights = device["weights"].get<std::string>();
    deviceArgs.push_back(
        {program, "--weights",
         inFolder(resumed.path.empty() ? o.bundle : resumed.path, weights),
         "--num-threads", std::to_string(o.threads)});
    // Replicas that hold slices of the optimizer state (--zero=1) each
    // have their own weights file in a checkpoint (scatterCheckpoint,
    // gatherCheckpoint); the bundle's one file starts them all.
    bool sharded = false;
    for (const json &v : device.value("variables", json::array()))
      sharded |= v.is_object() && v.value("replica_shard", json()) == true;
    if (sharded && !resumed.path.empty())
      deviceArgs.back().push_back("--weights-per-replica");
    if (sharded && !trained.path.empty())
      deviceArgs.back().push_back("--weights-out-per-replica");
    if (timeCalls)
      deviceArgs.back().insert(
          deviceArgs.back().end(),
          {"--profile", inFolder(profiles.path, "device_" +
                                                    std::to_string(k) +
                                                    ".json")});
    if (!o.trace.empty())
      deviceArgs.back().insert(
          deviceArgs.back().end(),
          {"--trace",
           inFolder(traces.path, "device_" + std::to_string(k) + ".json")});
    if (o.steps)
      deviceArgs.back().insert(deviceArgs.back().end(),
                               {"--steps", std::to_string(o.steps)});
    else
      deviceArgs.back().insert(
          deviceArgs.back().end(),
          {"--repeat", std::to_string(runs), "--warmup", std::to_string(warm),
           "--microbatches", std::to_string(o.microbatches)});
    if (!trained.path.empty())
      deviceArgs.back().insert(deviceArgs.back().end(),
                               {"--weights-out", inFolder(trained.path, weights)});
    if (!o.lrSchedule.empty()) {
      // The device scales its learning rate by the steps it has taken.
      std::map<std::string, int64_t> offsets;
      for (const json &v : device.value("variables", json::array()))
        if (v.is_object() && v.value("offset", json()).is_number_unsigned())
          offsets[v.value("name", std::string())] = v["offset"];
      if (!offsets.count("optimizer.lr") || !offsets.count("optimizer.step"))
        return fail("--lr-schedule needs a bundle compiled with an "
                    "--optimizer (device " + std::to_string(k) +
                    " has no optimizer.lr and optimizer.step)");
      deviceArgs.back().insert(
          deviceArgs.back().end(),
          {"--lr-schedule", o.lrSchedule, "--lr-offset",
           std::to_string(offsets["optimizer.lr"]), "--step-offset",
           std::to_string(offsets["optimizer.step"])});
    }
  }
  for (const std::string &spec : o.inputs) {
    std::string name = spec.substr(0, spec.find('='));
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
  for (const std::string &spec : o.outputs) {
    std::string name = spec.substr(0, spec.find('='));
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
  std::vector<std::string> args, environment;
  ScratchFolder session;
  for (char **e = environ; *e; ++e)
    environment.push_back(*e);
  if (!multi) {
    args = deviceArgs[0];
  } else {
    std::string mpirun = findProgram(o.mpirun);
    if (mpirun.empty())
      return fail(format("this bundle has %zu devices and needs '%s' "
                         "(OpenMPI) to start them",
                         devices.size(), o.mpirun.c_str()));
    args = {mpirun, "--oversubscribe"};
    if (!o.hostfile.empty())
      args.insert(args.end(), {"--hostfile", o.hostfile});
    // The runtime's settings reach the devices on other hosts too.
    for (const char *name : {"CLEAVE_TRANSPORT", "CLEAVE_CUDA_DEVICE",
                             "CLEAVE_CUDA_GRAPHS", "CLEAVE_NCCL_TIMEOUT_S"})
      if (std::getenv(name))
        args.insert(args.end(), {"-x", name});
    // Replica r's device k is rank r * devices + k; with one device its
    // replicas are one entry.
    bool one = deviceArgs.size() == 1;
    for (size_t r = 0; r < (one ? 1 : replicas); ++r)
      for (size_t k = 0; k < deviceArgs.size(); ++k) {
        if (r || k)
          args.push_back(":");
        args.insert(args.end(),
                    {"-np", std::to_string(one ? replicas : 1)});
        args.insert(args.end(), deviceArgs[k].begin(), deviceArgs[k].end());
      }
    // mpirun refuses root unless told; containers often run as root.
    environment.push_back("OMPI_ALLOW_RUN_AS_ROOT=1");
    environment.push_back("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1");
    // A session directory of its own: jobs started at once share Open
    // MPI's default one under /tmp, and one's cleanup can remove it under
    // another's start ("ORTE_ERROR_LOG ... session_dir.c").
    if (std::string error = session.create(); !error.empty())
      return fail(error);
    environment.push_back("OMPI_MCA_orte_tmpdir_base=" + session.path);
    environment.push_back("PRTE_MCA_prte_tmpdir_base=" + session.path);
  }

  // The devices print their timing on stdout. Their errors go straight to
  // ours, except under mpirun, whose report is read for the rank that died.
  std::string timingPath = temporaryFile();
  std::string errorPath = multi ? temporaryFile() : "";
  if (timingPath.empty() || (multi && errorPath.empty()))
    return fail(std::string("cannot create a temporary file: ") +
                std::strerror(errno));
  std::string why;
  int rc = runAndWait(args, environment, timingPath, errorPath, why);
  std::string timing = readFile(timingPath);
  std::remove(timingPath.c_str());
  if (multi) {
    std::string text = readFile(errorPath);
    std::remove(errorPath.c_str());
    std::fputs(text.c_str(), stderr);
    // A device that stopped the job says so itself ("device 0 of replica 1
    // (MPI rank 1) failed; stopping every device"); it is the cause,
    // whatever mpirun says of the peers it then stopped. Otherwise mpirun's
    // report names the rank: "MPI_ABORT was invoked on rank 1", "mpirun
    // noticed that process rank 1 with PID ... exited on signal 9".
    size_t at = std::string::npos, skip = 10;
    for (size_t stop = text.find(") failed; stopping every device");
         stop != std::string::npos && at == std::string::npos;
         stop = text.find(") failed; stopping every device", stop + 1)) {
      size_t open = text.rfind("(MPI rank ", stop);
      size_t line = text.rfind('\n', stop);
      if (open != std::string::npos &&
          (line == std::string::npos || open > line))
        at = open;
    }
    if (at == std::string::npos) {
      at = text.find("invoked on rank ");
      skip = 16;
    }
    if (at == std::string::npos) {
      at = text.find("process rank ");
      skip = 13;
    }
    if (rc != 0 && at != std::string::npos) {
      std::string rest = text.substr(at + skip);
      rest = rest.substr(0, rest.find('\n'));
      std::string rank;
      for (char c : rest) {
        if (!std::isdigit((unsigned char)c))
          break;
        rank += c;
      }
      size_t how = rest.find(" exited on ");
      std::string reason = "failed";
      if (how != std::string::npos) {
        reason = rest.substr(how + 1);
        while (!reason.empty() && reason.back() == '.')
          reason.pop_back();
      }
      size_t r = std::strtoul(rank.c_str(), nullptr, 10);
      std::string which =
          "device " + std::to_string(r % devices.size()) +
          (replicas > 1
               ? " of replica " + std::to_string(r / devices.size())
               : std::string());
      return fail(which + " (MPI rank " + rank + ") " + reason +
                  "; the other devices were stopped");
    }
  }
  if (rc != 0)
    return fail((multi ? std::string("the devices (mpirun)")
                       : "device 0 (" + args[0] + ")") +
                " failed" +
                (rc < 0 ? ": " + why
                        : " with exit code " + std::to_string(rc)));

  // Every device prints its timing; the slowest is the model's (the last
  // stage waits for all the others).
  double minMs = 0, p50 = 0, p90 = 0, stepP50 = 0;
  long peakKb = 0;
  size_t reports = 0;
  std::map<int64_t, double> busyByDevice; // ms per microbatch (or step)
  std::map<int64_t, double> stepByDevice;  // training: ms per step
  for (size_t at = timing.find("cleave-timing "); at != std::string::npos;
       at = timing.find("cleave-timing ", at + 1)) {
    std::string line = timing.substr(at + 14);
    line = line.substr(0, line.find('\n'));
    json t = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!t.is_object())
      return fail("a device printed timing that is not JSON: " + line);
    minMs = std::max(minMs, t.value("min_ms", 0.0));
    p50 = std::max(p50, t.value("p50_ms", 0.0));
    p90 = std::max(p90, t.value("p90_ms", 0.0));
    stepP50 = std::max(stepP50, t.value("step_p50_ms", 0.0));
    peakKb = std::max(peakKb, t.value("peak_rss_kb", 0L));
    ++reports;
    std::string name = t.value("program", std::string());
    int64_t index = std::atoll(name.substr(name.find('_') + 1).c_str());
    stepByDevice[index] = t.value("step_p50_ms", 0.0);
    busyByDevice[index] =
        t.contains("step_busy_p50_ms")
            ? t.value("step_busy_p50_ms", 0.0)
            : t.value("busy_p50_ms", 0.0) /
                  std::max<int64_t>(1, t.value("microbatches", 1));
  }
  if (reports != devices.size())
    return fail(format("%zu of %zu devices printed their timing", reports,
                       devices.size()));
  // A pipelined training step: how long each stage waits in its step
  // (the bubble and the transfers), beside the schedule's bubble.
  bool pipelined = o.steps && manifest.contains("schedule") &&
                   manifest.value("microbatches", json()).is_number_integer() &&
                   manifest.value("bubble", json()).is_number();
  if (o.report) {
    std::printf("%-10s %14s %14s %8s%s\n", "device", "predicted ms",
                "measured ms", "error",
                pipelined ? "    step ms  waiting" : "");
    double waitingShare = 0;
    for (size_t k = 0; k < devices.size(); ++k) {
      const json &predicted = devices[k].value("predicted_ms", json());
      double measured = busyByDevice[(int64_t)k];
      std::string shown = predicted.is_number()
                              ? format("%.3f", predicted.get<double>())
                              : "-";
      std::string error =
          predicted.is_number() && measured > 0
              ? format("%.1f%%",
                       100 * (predicted.get<double>() - measured) / measured)
              : "-";
      std::printf("%-10s %14s %14.3f %8s",
                  ("device_" + std::to_string(k)).c_str(), shown.c_str(),
                  measured, error.c_str());
      double step = stepByDevice[(int64_t)k];
      if (pipelined && step > 0) {
        double share = std::max(0.0, (step - measured) / step);
        waitingShare += share / devices.size();
        std::printf(" %10.3f %7.1f%%", step, 100 * share);
      }
      std::printf("\n");
    }
    if (devices.size() > 1)
      printBalance(devices, busyByDevice);
    if (pipelined) {
      std::string schedule = manifest["schedule"].get<std::string>();
      std::printf(
          "schedule %s, %lld microbatches on %zu devices: bubble "
          "(p - 1) / (%sM + p - 1) = %.1f%%; the devices wait %.1f%% "
          "of their step on average\n",
          schedule.c_str(), (long long)manifest["microbatches"].get<int64_t>(),
          devices.size(), schedule.rfind("interleaved", 0) == 0 ? "v " : "",
          100 * manifest["bubble"].get<double>(), 100 * waitingShare);
    }
  }
  if (timeCalls) {
    std::string lines;
    for (size_t k = 0; k < deviceArgs.size(); ++k)
      lines += readFile(
          inFolder(profiles.path, "device_" + std::to_string(k) + ".json"));
    json perDevice;
    if (std::string error = readProfiles(lines, perDevice); !error.empty())
      return fail(error);
    if (o.report)
      printTopOps(perDevice);
    if (o.profile)
      if (int rc = printProfiles(perDevice, o.profileOut))
        return rc;
  }
  if (!o.trace.empty()) {
    // Replicas write theirs beside their device's file (DeviceMain.cpp).
    std::vector<cleave::runtime::DeviceTrace> files;
    for (size_t r = 0; r < replicas; ++r)
      for (size_t k = 0; k < deviceArgs.size(); ++k) {
        std::string file =
            inFolder(traces.path, "device_" + std::to_string(k) + ".json");
        if (replicas > 1)
          file += ".replica" + std::to_string(r);
        files.push_back({file, k, r});
      }
    std::string summary;
    if (std::string error = cleave::runtime::mergeTraces(
            files, deviceArgs.size(), o.trace, summary);
        !error.empty())
      return fail(error);
    std::printf("trace: %s (open it in ui.perfetto.dev or "
                "chrome://tracing)\n%s",
                o.trace.c_str(), summary.c_str());
  }
  if (o.steps) {
    // Training: the loss of every step, then the time per step.
    for (size_t at = timing.find("cleave-step "); at != std::string::npos;
         at = timing.find("cleave-step ", at + 1)) {
      std::string line = timing.substr(at + 12);
      json t = json::parse(line.substr(0, line.find('\n')), nullptr, false);
      if (t.is_object())
        std::printf("step %lld  loss %.6g\n",
                    (long long)t.value("step", (int64_t)0),
                    t.value("loss", 0.0));
    }
    // The whole run over the steps (the first step's set-up included),
    // then the median step and the largest device process's peak memory.
    std::printf("%u steps  %.3f ms per step", o.steps, p50 / o.steps);
    if (stepP50 > 0)
      std::printf("  median step %.3f ms", stepP50);
    if (peakKb > 0)
      std::printf("  peak memory %.1f MB per device", peakKb / 1024.0);
    std::printf("\n");
    if (trained.path.empty())
      return 0;
    // The checkpoint: the variables under their names, whatever the
    // placement (an interrupted write leaves the previous one).
    Checkpoint checkpoint;
    std::string path = inFolder(o.save.empty() ? trained.path : o.save,
                                cleave::kCheckpointFile);
    std::string error = cleave::gatherCheckpoint(o.bundle, trained.path, checkpoint);
    if (error.empty())
      checkpoint.metadata["model"] = manifest.value("model", std::string());
    if (error.empty())
      error = cleave::writeCheckpoint(path, checkpoint);
    if (!error.empty())
      return fail("cannot save the checkpoint: " + error);
    return o.exportOnnx.empty() ? 0 : exportTrained(o, path);
  }
  if (o.benchmark)
    std::printf("runs %u  latency min %.3f ms  p50 %.3f ms  p90 %.3f ms  "
                "throughput %.1f inferences/s\n",
                runs, minMs, p50, p90, p50 > 0 ? 1000.0 / p50 : 0.0);
  else
    std::printf("latency %.3f ms\n", p50);
  return 0;
}
