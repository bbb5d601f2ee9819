//===- DeviceMain.cpp - the command line of a device program --------------===//
//
//   device_0 --weights device_0.weights --input x=x.npy --output y=y.npy
//            [--num-threads N] [--repeat N] [--warmup N] [--microbatches M]
//            [--steps S] [--weights-out trained.weights] [--profile file]
//            [--trace file] [--weights-per-replica] [--weights-out-per-replica]
//
// A data-parallel replica (a program with replicas, joined to the MPI job)
// reads its share of every batch and stays quiet: replica 0 prints and
// writes. In training the share is 1/N of each step's batch; in inference
// it is a share of the run's microbatches (replica r runs [M r / N,
// M (r + 1) / N) of the M the files hold), and replica 0 gathers the
// others' outputs. Replicas whose state differs (optimizer state sharded
// over them) read and write weights files of their own with
// --weights-per-replica and --weights-out-per-replica: replica r > 0 adds
// ".replica<r>" to the path (cleave::replicaWeightsFile).
// Inputs are checked against the program's table (name, element type,
// shape) before anything runs. With --microbatches M the files hold M
// microbatches along axis 0 (the program's shape is one of them): each run
// runs the program on each in turn, which pipelines them through the
// devices of a multi-device bundle, and outputs are joined along axis 0.
// The last line printed is the timing of a run (all its microbatches), as
// JSON, for the launcher: cleave-timing {"runs":N,"min_ms":..,...}.
//
//===----------------------------------------------------------------------===//

#include "Profile.h"
#include "Trace.h"
#include "cleave/Runtime/Checkpoint.h"
#include "cleave/Runtime/LrSchedule.h"
#include "cleave/Runtime/Program.h"
#include "cleave/Runtime/TensorIO.h"
#include "cleave/Runtime/Weights.h"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

/// The process's peak resident memory in kB (Linux's VmHWM: this program's
/// own, not inherited from the launcher); 0 where it is not known.
long peakResidentKb() {
  std::FILE *status = std::fopen("/proc/self/status", "r");
  if (!status)
    return 0;
  char line[256];
  long kb = 0;
  while (std::fgets(line, sizeof line, status))
    if (std::sscanf(line, "VmHWM: %ld kB", &kb) == 1)
      break;
  std::fclose(status);
  return kb;
}

std::string shapeText(int32_t rank, const int64_t *dims) {
  std::string text = "[";
  for (int32_t i = 0; i < rank; ++i)
    text += (i ? "x" : "") + std::to_string(dims[i]);
  return text + "]";
}

/// Owns what a run needs and frees it on every path. With a backend, the
/// arena and the device copies of weights, inputs and outputs are its.
struct Resources {
  const cleave_device_backend *backend = nullptr;
  cleave_weights weights{};
  char *arena = nullptr;
  std::vector<cleave_tensor> inputs, outputs;
  std::vector<void *> deviceBuffers; // Weights, inputs, outputs.
  ~Resources() {
    cleave_weights_unmap(&weights);
    if (backend) {
      backend->release(arena);
      for (void *buffer : deviceBuffers)
        backend->release(buffer);
    } else {
      std::free(arena);
    }
    for (cleave_tensor &t : inputs)
      cleave_tensor_free(&t);
    for (cleave_tensor &t : outputs)
      cleave_tensor_free(&t);
  }
  /// Device memory of `bytes` (at least one byte), owned by this.
  cleave_status deviceAlloc(size_t bytes, void **out) {
    if (cleave_status s = backend->alloc(std::max<size_t>(bytes, 1), out))
      return s;
    deviceBuffers.push_back(*out);
    return nullptr;
  }
  /// Device copies of `tensors` (with their contents when `upload`).
  cleave_status mirror(const std::vector<cleave_tensor> &tensors, bool upload,
                       std::vector<cleave_tensor> &out) {
    out = tensors;
    for (size_t i = 0; i < out.size(); ++i) {
      size_t bytes = cleave_tensor_num_bytes(&out[i]);
      out[i].owns_data = 0;
      if (cleave_status s = deviceAlloc(bytes, &out[i].data))
        return s;
      if (upload && bytes)
        if (cleave_status s =
                backend->upload(out[i].data, tensors[i].data, bytes))
          return s;
    }
    return nullptr;
  }
};

int fail(const char *program, const std::string &message) {
  std::fprintf(stderr, "%s: error: %s\n", program, message.c_str());
  return 1;
}

int failStatus(const char *program, cleave_status status) {
  int code = fail(program, cleave_status_message(status));
  cleave_status_free(status);
  return code;
}

bool parseCount(const char *text, long &value) {
  char *end;
  value = std::strtol(text, &end, 10);
  return *text && !*end && value >= 0;
}

/// Replica 0's `output` becomes the whole run's: every replica's share of
/// the `all` microbatches (replica q's from all q / n on), gathered over
/// the replicas of this device in one all-gather of equal, padded parts.
cleave_status gatherShares(const cleave_program_io &io, cleave_tensor &output,
                           long all, int32_t replicas, int32_t replica) {
  auto first = [&](int32_t q) { return all * q / replicas; };
  long mine = first(replica + 1) - first(replica);
  size_t perMicrobatch = cleave_tensor_num_bytes(&output) / (size_t)mine;
  size_t part = (size_t)((all + replicas - 1) / replicas) * perMicrobatch;
  std::vector<char> padded(part), gathered(part * replicas);
  std::memcpy(padded.data(), output.data, mine * perMicrobatch);
  cleave_tensor in{}, out{};
  in.dtype = out.dtype = CLEAVE_DTYPE_U8;
  in.rank = out.rank = 1;
  in.dims[0] = (int64_t)part;
  out.dims[0] = (int64_t)gathered.size();
  in.data = padded.data();
  out.data = gathered.data();
  if (cleave_status s = cleave_runtime_replica_all_gather(&in, &out))
    return s;
  if (replica != 0)
    return nullptr;
  std::vector<int64_t> dims(io.dims, io.dims + io.rank);
  dims[0] *= all;
  cleave_tensor whole;
  if (cleave_status s =
          cleave_tensor_alloc(io.dtype, io.rank, dims.data(), &whole))
    return s;
  for (int32_t q = 0; q < replicas; ++q)
    std::memcpy(static_cast<char *>(whole.data) + first(q) * perMicrobatch,
                gathered.data() + q * part,
                (first(q + 1) - first(q)) * perMicrobatch);
  cleave_tensor_free(&output);
  output = whole;
  return nullptr;
}

} // namespace

int cleave_device_main(int argc, char **argv, const cleave_program &program) {
  return cleave_device_main_on(argc, argv, program, nullptr);
}

int cleave_device_main_on(int argc, char **argv, const cleave_program &program,
                          const cleave_device_backend *backend) {
  const char *self = program.name;
  std::string weightsPath;
  bool weightsPerReplica = false, weightsOutPerReplica = false;
  std::map<std::string, std::string> inputFiles, outputFiles;
  std::string weightsOut;
  long threads = 0, repeat = 1, warmup = 0, microbatches = 1, steps = 0;
  // --profile: where this device writes its per-call totals (a file of its
  // own: lines printed by several devices under mpirun may interleave).
  std::string profilePath;
  bool profile = false;
  // --trace: where this device writes its timeline (Trace.h).
  std::string tracePath;
  // --lr-schedule: the schedule, and where the learning rate and the step
  // count lie in the weights (cleave-run reads them from the manifest).
  std::optional<cleave::LrSchedule> schedule;
  long lrOffset = -1, stepOffset = -1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *flag) -> const char * {
      return arg == flag && i + 1 < argc ? argv[++i] : nullptr;
    };
    const char *v;
    if ((v = value("--weights"))) {
      weightsPath = v;
    } else if ((v = value("--input")) || (v = value("--output"))) {
      std::string spec = v;
      size_t eq = spec.find('=');
      if (eq == std::string::npos || eq == 0)
        return fail(self,
                    "expected name=file after " + arg + ", got '" + spec + "'");
      (arg == "--input" ? inputFiles : outputFiles)[spec.substr(0, eq)] =
          spec.substr(eq + 1);
    } else if ((v = value("--num-threads"))) {
      if (!parseCount(v, threads))
        return fail(self, "--num-threads expects a count");
    } else if ((v = value("--repeat"))) {
      if (!parseCount(v, repeat) || repeat == 0)
        return fail(self, "--repeat expects a positive count");
    } else if ((v = value("--microbatches"))) {
      if (!parseCount(v, microbatches) || microbatches == 0)
        return fail(self, "--microbatches expects a positive count");
    } else if ((v = value("--steps"))) {
      if (!parseCount(v, steps) || steps == 0)
        return fail(self, "--steps expects a positive count");
    } else if ((v = value("--weights-out"))) {
      weightsOut = v;
    } else if (arg == "--weights-per-replica") {
      weightsPerReplica = true;
    } else if (arg == "--weights-out-per-replica") {
      weightsOutPerReplica = true;
    } else if ((v = value("--lr-schedule"))) {
      schedule.emplace();
      if (std::string error = cleave::parseLrSchedule(v, *schedule);
          !error.empty())
        return fail(self, error);
    } else if ((v = value("--lr-offset")) || (v = value("--step-offset"))) {
      if (!parseCount(v, arg == "--lr-offset" ? lrOffset : stepOffset))
        return fail(self, arg + " expects an offset");
    } else if ((v = value("--warmup"))) {
      if (!parseCount(v, warmup))
        return fail(self, "--warmup expects a count");
    } else if ((v = value("--profile"))) {
      profilePath = v;
      profile = true;
    } else if ((v = value("--trace"))) {
      tracePath = v;
    } else {
      return fail(self, "unknown argument '" + arg + "'");
    }
  }
  if (weightsPath.empty())
    return fail(self, "--weights is required");
  if (steps && microbatches > 1)
    return fail(self, "--steps with --microbatches is not supported yet");
  if (schedule && (!steps || lrOffset < 0 || stepOffset < 0 ||
                   lrOffset + 4 > program.weights_size ||
                   stepOffset + 4 > program.weights_size))
    return fail(self, "--lr-schedule needs --steps and the --lr-offset and "
                      "--step-offset of the weights' scalars");
  if (steps && (repeat > 1 || warmup))
    return fail(self, "--steps trains once through the steps: no --repeat "
                      "or --warmup");
  int32_t replicas = program.replicas > 1 ? program.replicas : 1;
  int32_t replica = cleave_runtime_replica();
  // Inference replicas share a run's microbatches; this one runs
  // `microbatches` of them from `firstMicrobatch` on.
  bool sharesMicrobatches = !steps && replicas > 1;
  long allMicrobatches = microbatches, firstMicrobatch = 0;
  if (sharesMicrobatches) {
    if (microbatches < replicas)
      return fail(self,
                  "this bundle runs " + std::to_string(replicas) +
                      " data-parallel replicas, each its share of a "
                      "run's microbatches: give --microbatches=" +
                      std::to_string(replicas) + " or more (a multiple of " +
                      std::to_string(replicas) + " keeps them equally busy)");
    if (!cleave_runtime_replica_all_gather)
      return fail(self, "this program runs as one of " +
                            std::to_string(replicas) +
                            " replicas: start it with cleave-run");
    firstMicrobatch = allMicrobatches * replica / replicas;
    microbatches = allMicrobatches * (replica + 1) / replicas - firstMicrobatch;
  }
  // Training: every input holds one batch per step, stacked on a new
  // leading axis, and every output gets one per step.
  auto stacked = [&](const cleave_program_io &io) {
    std::vector<int64_t> dims(io.dims, io.dims + io.rank);
    if (steps)
      dims.insert(dims.begin(), steps);
    else if (!dims.empty())
      dims[0] *= microbatches;
    return dims;
  };
  // Data-parallel replicas: each input file holds the whole batch, of
  // which this replica reads its share (in training 1/N of each step's
  // batch, axis 1; in inference its microbatches); replica 0 writes the
  // outputs, which the all-reduces made the same (training) or it gathers
  // (inference).
  size_t batchAxis = steps ? 1 : 0;
  auto whole = [&](const cleave_program_io &io) {
    std::vector<int64_t> dims = stacked(io);
    if (sharesMicrobatches && !dims.empty())
      dims[0] = io.dims[0] * allMicrobatches;
    else if (dims.size() > batchAxis)
      dims[batchAxis] *= replicas;
    return dims;
  };
  cleave_cpu_set_num_threads((int32_t)threads);
  if (steps)
    cleave_cpu_flush_denormals();

  if (weightsPerReplica)
    weightsPath = cleave::replicaWeightsFile(weightsPath, replica);
  if (weightsOutPerReplica && !weightsOut.empty())
    weightsOut = cleave::replicaWeightsFile(weightsOut, replica);
  Resources r;
  r.backend = backend;
  if (cleave_status s = cleave_weights_map(weightsPath.c_str(),
                                           program.weights_size, &r.weights))
    return failStatus(self, s);
  const char *weights = r.weights.payload;
  if (backend) {
    void *copy = nullptr;
    if (cleave_status s = r.deviceAlloc(r.weights.size, &copy))
      return failStatus(self, s);
    if (r.weights.size)
      if (cleave_status s = backend->upload(copy, weights, r.weights.size))
        return failStatus(self, s);
    weights = static_cast<const char *>(copy);
    // Training changes the weights: no converted copies may be cached.
    backend->set_constant_region(steps ? nullptr : weights,
                                 steps ? 0 : r.weights.size);
  } else {
    // Training changes the weights: no derived forms may be cached.
    cleave_cpu_set_constant_region(steps ? nullptr : weights,
                                   steps ? 0 : r.weights.size);
  }

  // Inputs: every one given, with the program's element type and shape.
  for (const auto &[name, file] : inputFiles) {
    bool known = false;
    for (int32_t i = 0; i < program.num_inputs; ++i)
      known |= name == program.inputs[i].name;
    if (!known)
      return fail(self, "the model has no input '" + name + "'");
  }
  r.inputs.resize(program.num_inputs);
  for (int32_t i = 0; i < program.num_inputs; ++i) {
    const cleave_program_io &io = program.inputs[i];
    auto it = inputFiles.find(io.name);
    if (it == inputFiles.end())
      return fail(self, std::string("input '") + io.name +
                            "' is missing: give it with --input " + io.name +
                            "=file.npy");
    if (cleave_status s = cleave_tensor_read(it->second.c_str(), &r.inputs[i]))
      return failStatus(self, s);
    const cleave_tensor &t = r.inputs[i];
    if (t.dtype != io.dtype)
      return fail(self,
                  std::string("input '") + io.name + "' in '" + it->second +
                      "' has element type " + cleave_dtype_name(t.dtype) +
                      "; the model expects " + cleave_dtype_name(io.dtype));
    // M microbatches of the program's shape, along axis 0 (or S steps).
    std::vector<int64_t> expected = whole(io);
    if (t.rank != (int32_t)expected.size() ||
        !std::equal(expected.begin(), expected.end(), t.dims))
      return fail(self,
                  std::string("input '") + io.name + "' in '" + it->second +
                      "' has shape " + shapeText(t.rank, t.dims) +
                      "; the model expects " +
                      shapeText((int32_t)expected.size(), expected.data()) +
                      (steps ? " (" + std::to_string(steps) + " steps of " +
                                   shapeText(io.rank, io.dims) + ")"
                       : allMicrobatches > 1
                           ? " (" + std::to_string(allMicrobatches) +
                                 " microbatches of " +
                                 shapeText(io.rank, io.dims) + ")"
                           : std::string()));
    if (microbatches > 1 && io.rank == 0)
      return fail(self, std::string("input '") + io.name +
                            "' is a scalar and cannot be split into "
                            "microbatches");
    if (replicas > 1) {
      if (io.rank == 0)
        return fail(self, std::string("input '") + io.name +
                              "' is a scalar and cannot be split across "
                              "replicas");
      // Rows [replica * b, (replica + 1) * b) of each step's batch.
      std::vector<int64_t> dims = stacked(io);
      cleave_tensor part;
      if (cleave_status s = cleave_tensor_alloc(
              io.dtype, (int32_t)dims.size(), dims.data(), &part))
        return failStatus(self, s);
      int64_t outer = steps ? steps : 1;
      size_t share = cleave_tensor_num_bytes(&part) / outer;
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(static_cast<char *>(part.data) + o * share,
                    static_cast<const char *>(t.data) +
                        (sharesMicrobatches
                             ? firstMicrobatch * (share / microbatches)
                             : (o * replicas + replica) * share),
                    share);
      cleave_tensor_free(&r.inputs[i]);
      r.inputs[i] = part;
    }
  }
  for (const auto &[name, file] : outputFiles) {
    bool known = false;
    for (int32_t i = 0; i < program.num_outputs; ++i)
      known |= name == program.outputs[i].name;
    if (!known)
      return fail(self, "the model has no output '" + name + "'");
  }
  r.outputs.resize(program.num_outputs);
  for (int32_t i = 0; i < program.num_outputs; ++i) {
    const cleave_program_io &io = program.outputs[i];
    if ((allMicrobatches > 1 || sharesMicrobatches) && io.rank == 0)
      return fail(self, std::string("output '") + io.name +
                            "' is a scalar and cannot be joined from "
                            "microbatches");
    std::vector<int64_t> dims = stacked(io);
    if (cleave_status s = cleave_tensor_alloc(io.dtype, (int32_t)dims.size(),
                                              dims.data(), &r.outputs[i]))
      return failStatus(self, s);
  }
  // Microbatch (or step) m of every input and output: views into them.
  long slices = steps ? steps : microbatches;
  auto slice = [&](const std::vector<cleave_tensor> &full, long m) {
    std::vector<cleave_tensor> views(full);
    for (cleave_tensor &t : views) {
      int64_t bytes = cleave_tensor_num_bytes(&t) / slices;
      if (steps) {
        std::memmove(t.dims, t.dims + 1, sizeof(int64_t) * (t.rank - 1));
        --t.rank;
      } else if (t.rank) {
        t.dims[0] /= microbatches;
      }
      t.data = static_cast<char *>(t.data) + m * bytes;
    }
    return views;
  };
  size_t arenaBytes = (size_t)std::max<int64_t>(program.arena_size, 64);
  // What the program reads and writes: host memory, or device copies.
  std::vector<cleave_tensor> runInputs = r.inputs, runOutputs = r.outputs;
  if (backend) {
    void *arena = nullptr;
    if (cleave_status s = backend->alloc(arenaBytes, &arena))
      return failStatus(self, s);
    r.arena = static_cast<char *>(arena);
    if (cleave_status s = r.mirror(r.inputs, true, runInputs))
      return failStatus(self, s);
    if (cleave_status s = r.mirror(r.outputs, false, runOutputs))
      return failStatus(self, s);
  } else {
    r.arena = static_cast<char *>(
        std::aligned_alloc(64, (arenaBytes + 63) / 64 * 64));
  }
  if (!r.arena)
    return fail(self, "cannot allocate the " + std::to_string(arenaBytes) +
                          "-byte arena");

  // The learning rate's scalars in the weights memory, host or device.
  char *state = const_cast<char *>(weights);
  auto readScalar = [&](long offset, float &value) -> cleave_status {
    if (backend)
      return backend->download(&value, state + offset, sizeof(float));
    std::memcpy(&value, state + offset, sizeof(float));
    return nullptr;
  };
  auto writeScalar = [&](long offset, float value) -> cleave_status {
    if (backend)
      return backend->upload(state + offset, &value, sizeof(float));
    std::memcpy(state + offset, &value, sizeof(float));
    return nullptr;
  };
  float baseLr = 0;
  if (schedule)
    if (cleave_status s = readScalar(lrOffset, baseLr))
      return failStatus(self, s);

  // Training on the CPU also times each step: the first one sets kernels
  // up, so the median step is what a longer run costs.
  std::vector<double> times, busy, stepTimes, stepBusy;
  // A profile times each call on its own: a backend's whole-program replay
  // (CUDA graphs) would hide them, so it runs the calls one by one.
  // A trace times the calls the same way, on device 0's clock (every
  // device of the job measures its offset at once).
  bool trace = !tracePath.empty();
  if (profile)
    cleave::runtime::startProfile(program,
                                  backend ? backend->synchronize : nullptr);
  if (trace) {
    cleave::runtime::startCallTiming(backend ? backend->synchronize : nullptr);
    int64_t uncertainty = 0;
    cleave::runtime::startTrace(program,
                                cleave_runtime_clock_offset
                                    ? cleave_runtime_clock_offset(&uncertainty)
                                    : 0,
                                uncertainty);
  }
  bool eachCall = profile || trace;
  for (long run = 0; run < warmup + repeat; ++run) {
    if (profile && run == warmup)
      cleave::runtime::resetProfile();
    if (trace && run == warmup)
      cleave::runtime::resetTrace();
    auto start = std::chrono::steady_clock::now();
    double waitedBefore = cleave_runtime_wait_seconds();
    for (long m = 0; m < slices; ++m) {
      std::vector<cleave_tensor> in = slice(runInputs, m),
                                 out = slice(runOutputs, m);
      // Training's first step sets kernels up: a profile of several steps
      // leaves it out, as a run's profile leaves the warm-up runs.
      if (profile && steps && slices > 1 && m == 1)
        cleave::runtime::resetProfile();
      auto stepStart = std::chrono::steady_clock::now();
      double stepWaited = cleave_runtime_wait_seconds();
      if (schedule) {
        float taken = 0;
        cleave_status s = readScalar(stepOffset, taken);
        if (!s)
          s = writeScalar(lrOffset,
                          (float)(baseLr * schedule->factor(taken)));
        if (s)
          return failStatus(self, s);
      }
      int64_t runStart = cleave::runtime::steadyNanoseconds();
      cleave_status s =
          backend && backend->run && !eachCall
              ? backend->run(program, r.arena, weights, in.data(), out.data())
              : program.run(r.arena, weights, in.data(), out.data());
      if (s)
        return failStatus(self, s);
      if (trace)
        cleave::runtime::traceRun(steps        ? "step"
                                  : slices > 1 ? "microbatch"
                                               : "run",
                                  steps        ? m + 1
                                  : slices > 1 ? firstMicrobatch + m
                                               : run - warmup,
                                  runStart,
                                  cleave::runtime::steadyNanoseconds());
      if (steps && !backend) {
        stepTimes.push_back(std::chrono::duration<double, std::milli>(
                                std::chrono::steady_clock::now() - stepStart)
                                .count());
        stepBusy.push_back(stepTimes.back() -
                           (cleave_runtime_wait_seconds() - stepWaited) * 1e3);
      }
    }
    if (backend)
      if (cleave_status s = backend->synchronize())
        return failStatus(self, s);
    // A run ends when every replica's share has: replica 0's time is the
    // run's (the wait counts as waiting, not busy).
    if (sharesMicrobatches) {
      cleave_tensor mine{}, all{};
      char flag = 0;
      std::vector<char> flags((size_t)replicas);
      mine.dtype = all.dtype = CLEAVE_DTYPE_U8;
      mine.rank = all.rank = 1;
      mine.dims[0] = 1;
      all.dims[0] = replicas;
      mine.data = &flag;
      all.data = flags.data();
      if (cleave_status s = cleave_runtime_replica_all_gather(&mine, &all))
        return failStatus(self, s);
    }
    std::chrono::duration<double, std::milli> elapsed =
        std::chrono::steady_clock::now() - start;
    if (run >= warmup) {
      times.push_back(elapsed.count());
      busy.push_back(elapsed.count() -
                     (cleave_runtime_wait_seconds() - waitedBefore) * 1e3);
    }
  }

  // Every replica writes its timeline (replica r's beside replica 0's).
  if (trace)
    if (std::string error = cleave::runtime::writeTrace(
            program, replica,
            replicas > 1 ? tracePath + ".replica" + std::to_string(replica)
                         : tracePath);
        !error.empty())
      return fail(self, error);
  // A checkpoint keeps the base rate: the schedule scales it again.
  if (schedule)
    if (cleave_status s = writeScalar(lrOffset, baseLr))
      return failStatus(self, s);
  if (backend)
    for (int32_t i = 0; i < program.num_outputs; ++i)
      if (size_t bytes = cleave_tensor_num_bytes(&r.outputs[i]))
        if (cleave_status s = backend->download(r.outputs[i].data,
                                                runOutputs[i].data, bytes))
          return failStatus(self, s);
  // Inference replicas: replica 0 gathers every replica's outputs in
  // microbatch order (each share padded to the largest for the gather).
  if (sharesMicrobatches)
    for (int32_t i = 0; i < program.num_outputs; ++i)
      if (cleave_status s = gatherShares(program.outputs[i], r.outputs[i],
                                         allMicrobatches, replicas, replica))
        return failStatus(self, s);
  // Training: each step's loss, for the launcher to print.
  if (steps && replica == 0)
    for (int32_t i = 0; i < program.num_outputs; ++i)
      if (std::string(program.outputs[i].name) == "loss" &&
          program.outputs[i].dtype == CLEAVE_DTYPE_F32 &&
          cleave_tensor_num_elements(&r.outputs[i]) == steps)
        for (long step = 0; step < steps; ++step)
          std::printf("cleave-step {\"step\":%ld,\"loss\":%.9g}\n", step + 1,
                      static_cast<const float *>(r.outputs[i].data)[step]);
  // Every replica ends with the same outputs, and the same weights unless
  // it writes its own.
  if (replica != 0 && !weightsOutPerReplica)
    return 0;
  if (!weightsOut.empty()) {
    std::vector<char> state((size_t)r.weights.size);
    if (r.weights.size) {
      if (backend) {
        if (cleave_status s =
                backend->download(state.data(), weights, state.size()))
          return failStatus(self, s);
      } else {
        std::memcpy(state.data(), weights, state.size());
      }
    }
    if (cleave_status s = cleave_weights_write(weightsOut.c_str(),
                                               state.data(), r.weights.size))
      return failStatus(self, s);
  }
  if (replica != 0)
    return 0;
  for (int32_t i = 0; i < program.num_outputs; ++i) {
    auto it = outputFiles.find(program.outputs[i].name);
    if (it == outputFiles.end())
      continue;
    if (cleave_status s =
            cleave_tensor_write(it->second.c_str(), &r.outputs[i]))
      return failStatus(self, s);
  }
  std::sort(times.begin(), times.end());
  std::sort(busy.begin(), busy.end());
  auto percentile = [&](const std::vector<double> &v, double p) {
    return v[std::min(v.size() - 1, (size_t)(p * v.size()))];
  };
  // busy: the run minus time spent waiting for other devices.
  std::sort(stepTimes.begin(), stepTimes.end());
  std::sort(stepBusy.begin(), stepBusy.end());
  std::string stepField =
      stepBusy.empty()
          ? ""
          : ",\"step_p50_ms\":" + std::to_string(percentile(stepTimes, 0.5)) +
                ",\"step_busy_p50_ms\":" +
                std::to_string(percentile(stepBusy, 0.5));
  if (!profilePath.empty()) {
    FILE *out = std::fopen(profilePath.c_str(), "w");
    if (!out)
      return fail(self, "cannot write the profile to '" + profilePath + "'");
    cleave::runtime::printProfile(program, times.size(), out);
    if (std::fclose(out) != 0)
      return fail(self, "cannot write the profile to '" + profilePath + "'");
  }
  std::printf("cleave-timing {\"program\":\"%s\",\"runs\":%zu,"
              "\"microbatches\":%ld,\"min_ms\":%.4f,\"p50_ms\":%.4f,"
              "\"p90_ms\":%.4f,\"busy_p50_ms\":%.4f,\"peak_rss_kb\":%ld%s}\n",
              program.name, times.size(), slices, times.front(),
              percentile(times, 0.5), percentile(times, 0.9),
              percentile(busy, 0.5), peakResidentKb(), stepField.c_str());
  return 0;
}
