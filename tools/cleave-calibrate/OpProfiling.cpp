//===- OpProfiling.cpp - cleave-calibrate --model: an op profile ----------===//
//
// Times every distinct op of a model with the runtime's own kernels: the
// model is compiled for one CPU device (cleave-compile, with the given
// --dim and --input-shape and any other flags, a training step's
// included, so that its ops are those a placement of the same model
// sees), run on zero inputs with `cleave-run --profile`, one
// one-thread copy per device at once (the devices of a run share caches
// and memory bandwidth), and each call site's time is filed under its op
// signature (the site table carries it). The mean per call over every
// site, run and copy of a round is the op's time in that round; the
// median round's is the profile's.
//
// With --placed-devices, the ops are then timed again as a placement runs
// them: the model compiled for those devices with the first profile, its
// pipeline run on zero inputs, each stage's calls filed the same way. Those
// times replace the first ones (Alpa's habit: profile the stages placed).
//
//===----------------------------------------------------------------------===//

#include "OpProfiling.h"
#include "cleave/Analysis/OpProfile.h"
#include "cleave/Runtime/Tensor.h"
#include "cleave/Runtime/TensorIO.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include <fstream>

using namespace llvm;

namespace cleave::calibrate {

namespace {

int fail(const Twine &message) {
  errs() << "cleave-calibrate: error: " << message << "\n";
  return 1;
}

/// Whether a training bundle's manifest has an optimizer (a learning rate
/// a schedule can scale).
bool hasOptimizer(const json::Value &manifest) {
  const json::Array *devices = manifest.getAsObject()
                                   ? manifest.getAsObject()->getArray("devices")
                                   : nullptr;
  if (!devices || devices->empty() || !devices->front().getAsObject())
    return false;
  const json::Array *variables =
      devices->front().getAsObject()->getArray("variables");
  if (!variables)
    return false;
  return llvm::any_of(*variables, [](const json::Value &v) {
    return v.getAsObject() &&
           v.getAsObject()->getString("name") == StringRef("optimizer.lr");
  });
}

/// A tool beside this one (the build's or the install's bin/), else on
/// PATH.
std::string findTool(const char *argv0, StringRef name) {
  std::string self = sys::fs::getMainExecutable(argv0, (void *)&findTool);
  SmallString<256> beside(sys::path::parent_path(self));
  sys::path::append(beside, name);
  if (sys::fs::can_execute(beside))
    return std::string(beside);
  ErrorOr<std::string> found = sys::findProgramByName(name);
  return found ? *found : std::string();
}

/// The runtime's element type of a manifest's "dtype" (MLIR's spelling).
cleave_dtype dtypeOf(StringRef name) {
  return StringSwitch<cleave_dtype>(name)
      .Case("f32", CLEAVE_DTYPE_F32)
      .Case("f16", CLEAVE_DTYPE_F16)
      .Case("bf16", CLEAVE_DTYPE_BF16)
      .Case("f64", CLEAVE_DTYPE_F64)
      .Case("i1", CLEAVE_DTYPE_BOOL)
      .Case("i8", CLEAVE_DTYPE_I8)
      .Case("i16", CLEAVE_DTYPE_I16)
      .Case("i32", CLEAVE_DTYPE_I32)
      .Case("i64", CLEAVE_DTYPE_I64)
      .Case("ui8", CLEAVE_DTYPE_U8)
      .Case("ui16", CLEAVE_DTYPE_U16)
      .Case("ui32", CLEAVE_DTYPE_U32)
      .Case("ui64", CLEAVE_DTYPE_U64)
      .Default(CLEAVE_DTYPE_INVALID);
}

/// This CPU's model name (/proc/cpuinfo), for the profile's "machine".
std::string cpuName() {
  std::ifstream info("/proc/cpuinfo");
  std::string line;
  while (std::getline(info, line))
    if (StringRef(line).starts_with("model name")) {
      StringRef value = StringRef(line).split(':').second.trim();
      return value.str();
    }
  return "cpu";
}

/// Runs `args` with its output in `log`; returns the exit code (-1 when it
/// could not start).
int runTool(ArrayRef<std::string> args, StringRef log) {
  SmallVector<StringRef> refs(args.begin(), args.end());
  std::optional<StringRef> redirects[] = {std::nullopt, log, log};
  return sys::ExecuteAndWait(refs.front(), refs, std::nullopt, redirects);
}

std::string readText(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> file = MemoryBuffer::getFile(path);
  return file ? (*file)->getBuffer().str() : std::string();
}

/// Ops by signature, in the order first timed.
using TimedOps =
    MapVector<std::string, analysis::ProfiledOp, StringMap<unsigned>>;

/// What the passes share: the tools, the scratch folder and the options.
struct Profiler {
  const ProfileOptions &options;
  std::string compiler, runner;
  SmallString<128> work;
  /// Whether the last bundle timed trains (set by `time`).
  mutable bool training = false;

  std::string inWork(const Twine &name) const {
    SmallString<256> path(work);
    sys::path::append(path, name);
    return std::string(path);
  }

  /// Compiles the model into `bundle` with the options' flags and `more`.
  bool compile(StringRef bundle, ArrayRef<std::string> more) const {
    std::vector<std::string> args = {compiler, options.model, "--target=cpu",
                                     "-o", bundle.str()};
    args.insert(args.end(), options.compileFlags.begin(),
                options.compileFlags.end());
    args.insert(args.end(), more.begin(), more.end());
    std::string log = inWork("compile.txt");
    if (runTool(args, log) == 0)
      return true;
    fail("cannot compile '" + options.model + "':\n" + readText(log));
    return false;
  }

  /// Runs `bundle` on zero inputs (`copies` at once, each timing every
  /// call; an inference run split into `microbatches`) and adds each call
  /// site's calls and milliseconds to `ops` under its signature (`seconds`
  /// holds the sum of milliseconds until `meanPerCall`).
  bool time(StringRef bundle, unsigned copies, unsigned microbatches,
            TimedOps &ops) const {
    std::string name = sys::path::filename(bundle).str();
    Expected<json::Value> manifest =
        json::parse(readText(bundle.str() + "/manifest.json"));
    if (!manifest) {
      fail("the bundle's manifest: " + toString(manifest.takeError()));
      return false;
    }
    const json::Array *inputs =
        manifest->getAsObject() ? manifest->getAsObject()->getArray("inputs")
                                : nullptr;
    if (!inputs) {
      fail("the bundle's manifest lists no inputs");
      return false;
    }
    // A training bundle trains runs + 1 steps on zero batches (labels of
    // class 0), its first step left out of the profile; others run their
    // warm-up and timed runs.
    training = manifest->getAsObject()->get("model_file") != nullptr;
    std::vector<std::string> run = {runner, bundle.str(), "--num-threads", "1"};
    if (training) {
      run.push_back("--steps=" + std::to_string(options.runs + 1));
      // Every step after the first keeps the weights (its learning rate
      // scaled to 0), so each timed step sees the model as a run starts,
      // not one fitted to the constant zero batch, whose ever smaller
      // gradients are not a real run's (tiny floats can make kernels many
      // times slower; docs/Training.md, "Denormal floats").
      if (hasOptimizer(*manifest))
        run.push_back("--lr-schedule=linear:total=1");
    } else {
      run.insert(run.end(),
                 {"--warmup", "3", "--repeat", std::to_string(options.runs)});
      if (microbatches > 1)
        run.push_back("--microbatches=" + std::to_string(microbatches));
    }
    for (auto [i, input] : llvm::enumerate(*inputs)) {
      const json::Object *io = input.getAsObject();
      std::optional<StringRef> inputName =
          io ? io->getString("name") : std::nullopt;
      const json::Array *shape = io ? io->getArray("shape") : nullptr;
      cleave_dtype dtype = io ? dtypeOf(io->getString("dtype").value_or(""))
                              : CLEAVE_DTYPE_INVALID;
      if (!inputName || !shape || dtype == CLEAVE_DTYPE_INVALID) {
        fail("the bundle's input " + Twine(i) +
             " has no name, shape or known element type");
        return false;
      }
      std::vector<int64_t> dims;
      if (training)
        dims.push_back(options.runs + 1);
      for (const json::Value &d : *shape)
        dims.push_back(d.getAsInteger().value_or(0));
      // Microbatches split axis 0 (cleave-run --microbatches).
      if (!training && microbatches > 1 && !dims.empty())
        dims.front() *= microbatches;
      cleave_tensor zeros;
      std::string file = inWork(name + "_input_" + Twine(i) + ".npy");
      cleave_status status =
          cleave_tensor_alloc(dtype, (int32_t)dims.size(), dims.data(), &zeros);
      if (!status)
        status = cleave_tensor_write(file.c_str(), &zeros);
      cleave_tensor_free(&zeros);
      if (status) {
        std::string message = cleave_status_message(status);
        cleave_status_free(status);
        fail("cannot write a zero input: " + message);
        return false;
      }
      run.insert(run.end(), {"--input", inputName->str() + "=" + file});
    }

    std::vector<sys::ProcessInfo> running;
    std::vector<std::string> profiles, logs;
    for (unsigned c = 0; c < copies; ++c) {
      profiles.push_back(inWork(name + "_profile_" + Twine(c) + ".json"));
      logs.push_back(inWork(name + "_run_" + Twine(c) + ".txt"));
      std::vector<std::string> args = run;
      args.push_back("--profile=" + profiles.back());
      SmallVector<StringRef> refs(args.begin(), args.end());
      std::optional<StringRef> redirects[] = {std::nullopt, StringRef(logs[c]),
                                              StringRef(logs[c])};
      std::string error;
      bool notStarted = false;
      running.push_back(sys::ExecuteNoWait(refs.front(), refs, std::nullopt,
                                           redirects, 0, &error, &notStarted));
      if (notStarted) {
        fail("cannot start cleave-run: " + error);
        return false;
      }
    }
    bool ran = true;
    for (unsigned c = 0; c < copies; ++c)
      if (sys::Wait(running[c], std::nullopt).ReturnCode != 0 && ran) {
        fail("cleave-run failed on zero inputs:\n" + readText(logs[c]));
        ran = false;
      }
    if (!ran)
      return false;

    for (const std::string &file : profiles) {
      Expected<json::Value> parsed = json::parse(readText(file));
      const json::Array *devices = parsed ? parsed->getAsArray() : nullptr;
      if (!devices) {
        if (!parsed)
          consumeError(parsed.takeError());
        fail("cleave-run wrote no profile to '" + file + "'");
        return false;
      }
      for (const json::Value &device : *devices)
        for (const json::Value &entry :
             *device.getAsObject()->getArray("sites")) {
          const json::Object &site = *entry.getAsObject();
          StringRef signature = site.getString("signature").value_or("");
          if (signature.empty())
            continue; // Output copies: no op of the graph.
          analysis::ProfiledOp &op = ops[signature.str()];
          if (op.signature.empty()) {
            op.signature = signature.str();
            op.op = site.getString("op").value_or("").str();
            op.shapes = site.getString("shapes").value_or("").str();
          }
          op.calls += site.getInteger("calls").value_or(0);
          op.seconds += site.getNumber("ms").value_or(0);
        }
    }
    return true;
  }
};

/// Turns `time`'s summed milliseconds into mean seconds per call.
analysis::OpProfile meanPerCall(const TimedOps &ops) {
  analysis::OpProfile profile;
  profile.machine = cpuName();
  for (const auto &[signature, op] : ops)
    if (op.calls > 0) {
      profile.ops.push_back(op);
      profile.ops.back().seconds = op.seconds * 1e-3 / (double)op.calls;
    }
  return profile;
}

} // namespace

int profileModel(const char *argv0, const ProfileOptions &options) {
  Profiler profiler{options,
                    findTool(argv0, "cleave-compile"),
                    findTool(argv0, "cleave-run"),
                    {}};
  if (profiler.compiler.empty() || profiler.runner.empty())
    return fail("--model needs cleave-compile and cleave-run (beside "
                "cleave-calibrate or on PATH)");
  if (std::error_code ec =
          sys::fs::createUniqueDirectory("cleave-op-profile", profiler.work))
    return fail("cannot create a temporary folder: " + ec.message());
  scope_exit cleanup([&] { sys::fs::remove_directories(profiler.work); });

  // `options.rounds` timings of `bundle`, each op's median of them.
  auto timeRounds = [&](StringRef bundle, unsigned copies,
                        unsigned microbatches, analysis::OpProfile &profile) {
    std::vector<analysis::OpProfile> rounds;
    for (unsigned r = 0; r < std::max(1u, options.rounds); ++r) {
      TimedOps timed;
      if (!profiler.time(bundle, copies, microbatches, timed))
        return false;
      rounds.push_back(meanPerCall(timed));
    }
    profile = analysis::medianOfRounds(rounds);
    return true;
  };

  // The model compiled for one CPU device, `copies` of it at once.
  analysis::OpProfile profile;
  std::string whole = profiler.inWork("whole");
  if (!profiler.compile(whole, {}) ||
      !timeRounds(whole, options.copies, 1, profile))
    return 1;
  int64_t calls = 0;
  for (const analysis::ProfiledOp &op : profile.ops)
    calls += op.calls;
  std::string summary =
      formatv("{0} distinct ops of {1} timed in {2} calls ({3} one-thread "
              "copies at once, {4} rounds of {5} runs, each op's median "
              "round)",
              profile.ops.size(), sys::path::filename(options.model), calls,
              options.copies, options.rounds, options.runs);

  // Then as a placement runs them: each stage's ops beside the other
  // stages, on its share of the weights, microbatch after microbatch (an
  // op of a CNN's first stage ran 10-30% faster there than in the whole
  // model alone). Those times replace the first ones.
  if (options.placedDevices > 1) {
    std::string first = profiler.inWork("first.json");
    if (Error error = writeToOutput(first, [&](raw_ostream &os) {
          os << analysis::printOpProfile(profile);
          return Error::success();
        }))
      return fail(toString(std::move(error)));
    std::vector<std::string> place = {"--num-devices=" +
                                          std::to_string(options.placedDevices),
                                      "--op-profile=" + first};
    if (!options.machine.empty())
      place.push_back("--machine=" + options.machine);
    std::string placed = profiler.inWork("placed");
    // Only the graph's ops: the placed run's transfers (its sends and
    // receives, whose time is the link's and the wait for a peer) are not
    // ops a placement costs.
    analysis::OpProfile again;
    if (!profiler.compile(placed, place) ||
        !timeRounds(placed, 1, options.microbatches, again))
      return 1;
    StringMap<size_t> index;
    for (auto [i, op] : llvm::enumerate(profile.ops))
      index[op.signature] = i;
    size_t replaced = 0;
    for (const analysis::ProfiledOp &op : again.ops) {
      auto it = index.find(op.signature);
      if (it != index.end()) {
        profile.ops[it->second] = op;
        ++replaced;
      }
    }
    summary += formatv(", then {0} of them again as placed on {1} devices",
                       replaced, options.placedDevices);
    if (!profiler.training)
      summary += formatv(" ({0} microbatches)", options.microbatches);
  }

  if (Error error = writeToOutput(options.output, [&](raw_ostream &os) {
        os << analysis::printOpProfile(profile);
        return Error::success();
      }))
    return fail(toString(std::move(error)));
  outs() << summary << " on " << profile.machine << "; wrote " << options.output
         << "\n";
  return 0;
}

} // namespace cleave::calibrate
