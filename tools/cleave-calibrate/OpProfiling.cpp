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
// site, run and copy is the op's time.
//
//===----------------------------------------------------------------------===//

#include "OpProfiling.h"
#include "cleave/Analysis/OpProfile.h"
#include "cleave/Runtime/Tensor.h"
#include "cleave/Runtime/TensorIO.h"
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

} // namespace

int profileModel(const char *argv0, const ProfileOptions &options) {
  std::string compiler = findTool(argv0, "cleave-compile");
  std::string runner = findTool(argv0, "cleave-run");
  if (compiler.empty() || runner.empty())
    return fail("--model needs cleave-compile and cleave-run (beside "
                "cleave-calibrate or on PATH)");
  SmallString<128> work;
  if (std::error_code ec =
          sys::fs::createUniqueDirectory("cleave-op-profile", work))
    return fail("cannot create a temporary folder: " + ec.message());
  auto cleanup = make_scope_exit([&] { sys::fs::remove_directories(work); });
  auto inWork = [&](const Twine &name) {
    SmallString<256> path(work);
    sys::path::append(path, name);
    return std::string(path);
  };

  // The model, compiled for one CPU device.
  std::string bundle = inWork("bundle"), log = inWork("log.txt");
  std::vector<std::string> compile = {compiler, options.model, "--target=cpu",
                                      "-o", bundle};
  compile.insert(compile.end(), options.compileFlags.begin(),
                 options.compileFlags.end());
  if (runTool(compile, log) != 0)
    return fail("cannot compile '" + options.model + "':\n" + readText(log));

  // Zero inputs of the shapes the manifest lists.
  Expected<json::Value> manifest =
      json::parse(readText(inWork("bundle/manifest.json")));
  if (!manifest)
    return fail("the bundle's manifest: " + toString(manifest.takeError()));
  const json::Array *inputs = manifest->getAsObject()
                                  ? manifest->getAsObject()->getArray("inputs")
                                  : nullptr;
  if (!inputs)
    return fail("the bundle's manifest lists no inputs");
  // A training bundle trains runs + 1 steps on zero batches (labels of
  // class 0), its first step left out of the profile; others run their
  // warm-up and timed runs.
  bool training = manifest->getAsObject()->get("model_file") != nullptr;
  std::vector<std::string> run = {runner, bundle, "--num-threads", "1"};
  if (training) {
    run.push_back("--steps=" + std::to_string(options.runs + 1));
    // Every step after the first keeps the weights (its learning rate
    // scaled to 0), so each timed step sees the model as a run starts, not
    // one fitted to the constant zero batch, whose ever smaller gradients
    // are not a real run's (tiny floats can make kernels many times
    // slower; docs/Training.md, "Denormal floats").
    if (hasOptimizer(*manifest))
      run.push_back("--lr-schedule=linear:total=1");
  } else
    run.insert(run.end(), {"--warmup", "3", "--repeat",
                           std::to_string(options.runs)});
  for (auto [i, input] : llvm::enumerate(*inputs)) {
    const json::Object *io = input.getAsObject();
    std::optional<StringRef> name = io ? io->getString("name") : std::nullopt;
    const json::Array *shape = io ? io->getArray("shape") : nullptr;
    cleave_dtype dtype =
        io ? dtypeOf(io->getString("dtype").value_or("")) : CLEAVE_DTYPE_INVALID;
    if (!name || !shape || dtype == CLEAVE_DTYPE_INVALID)
      return fail("the bundle's input " + Twine(i) + " has no name, shape or "
                  "known element type");
    std::vector<int64_t> dims;
    if (training)
      dims.push_back(options.runs + 1);
    for (const json::Value &d : *shape)
      dims.push_back(d.getAsInteger().value_or(0));
    cleave_tensor zeros;
    std::string file = inWork("input_" + Twine(i) + ".npy");
    cleave_status status =
        cleave_tensor_alloc(dtype, (int32_t)dims.size(), dims.data(), &zeros);
    if (!status)
      status = cleave_tensor_write(file.c_str(), &zeros);
    cleave_tensor_free(&zeros);
    if (status) {
      std::string message = cleave_status_message(status);
      cleave_status_free(status);
      return fail("cannot write a zero input: " + message);
    }
    run.insert(run.end(), {"--input", name->str() + "=" + file});
  }

  // One copy per device at once, each timing every call.
  std::vector<sys::ProcessInfo> copies;
  std::vector<std::string> profiles, logs;
  for (unsigned c = 0; c < options.copies; ++c) {
    profiles.push_back(inWork("profile_" + Twine(c) + ".json"));
    logs.push_back(inWork("run_" + Twine(c) + ".txt"));
    std::vector<std::string> args = run;
    args.push_back("--profile=" + profiles.back());
    SmallVector<StringRef> refs(args.begin(), args.end());
    std::optional<StringRef> redirects[] = {std::nullopt, StringRef(logs[c]),
                                            StringRef(logs[c])};
    std::string error;
    bool notStarted = false;
    copies.push_back(sys::ExecuteNoWait(refs.front(), refs, std::nullopt,
                                        redirects, 0, &error, &notStarted));
    if (notStarted)
      return fail("cannot start cleave-run: " + error);
  }
  for (unsigned c = 0; c < options.copies; ++c)
    if (sys::Wait(copies[c], std::nullopt).ReturnCode != 0)
      return fail("cleave-run failed on zero inputs:\n" + readText(logs[c]));

  // Each site's calls and time, by signature, over every copy.
  struct Total {
    analysis::ProfiledOp op;
    double ms = 0;
  };
  StringMap<Total> totals;
  std::vector<std::string> order;
  for (const std::string &file : profiles) {
    Expected<json::Value> parsed = json::parse(readText(file));
    const json::Array *devices = parsed ? parsed->getAsArray() : nullptr;
    if (!devices) {
      if (!parsed)
        consumeError(parsed.takeError());
      return fail("cleave-run wrote no profile to '" + file + "'");
    }
    for (const json::Value &device : *devices)
      for (const json::Value &entry :
           *device.getAsObject()->getArray("sites")) {
        const json::Object &site = *entry.getAsObject();
        StringRef signature = site.getString("signature").value_or("");
        if (signature.empty())
          continue; // Output copies: no op of the graph.
        auto [it, fresh] = totals.try_emplace(signature);
        Total &total = it->second;
        if (fresh) {
          order.push_back(signature.str());
          total.op.signature = signature.str();
          total.op.op = site.getString("op").value_or("").str();
          total.op.shapes = site.getString("shapes").value_or("").str();
        }
        total.op.calls += site.getInteger("calls").value_or(0);
        total.ms += site.getNumber("ms").value_or(0);
      }
  }
  analysis::OpProfile profile;
  profile.machine = cpuName();
  int64_t calls = 0;
  for (const std::string &signature : order) {
    Total &total = totals[signature];
    if (total.op.calls == 0)
      continue;
    total.op.seconds = total.ms * 1e-3 / (double)total.op.calls;
    calls += total.op.calls;
    profile.ops.push_back(total.op);
  }
  if (Error error = writeToOutput(options.output, [&](raw_ostream &os) {
        os << analysis::printOpProfile(profile);
        return Error::success();
      }))
    return fail(toString(std::move(error)));
  outs() << formatv("{0} distinct ops of {1} timed in {2} calls ({3} "
                    "one-thread copies at once, {4} runs each) on {5}; wrote "
                    "{6}\n",
                    profile.ops.size(), sys::path::filename(options.model),
                    calls, options.copies, options.runs, profile.machine,
                    options.output);
  return 0;
}

} // namespace cleave::calibrate
