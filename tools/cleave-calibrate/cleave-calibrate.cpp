//===- cleave-calibrate.cpp - measure this machine for the cost model -----===//
//
//   cleave-calibrate --target=cpu -o cpu.json [--devices N]
//   cleave-calibrate --model model.onnx [--dim batch=2 ...]
//                    [--input-shape x:1x3x32x32 ...] [--devices N]
//                    [--compile-flags "--train --loss=..."] -o ops.json
//
// The second form writes an op profile instead (OpProfiling.cpp): every
// distinct op of the model timed with the runtime's kernels, which
// `cleave-compile --op-profile=ops.json` uses instead of the roofline.
//
// Measures, on one core (a CPU device is one single-threaded process):
// - peak f32 FLOP/s: the best of large matrix products;
// - memory bandwidth: a streaming add over arrays the size of typical
//   activations;
// - launch overhead: a kernel on a handful of elements;
// - for each kind of kernel ("matmul", "conv", "dwconv", "conv_grad",
//   "pool", "norm", "softmax", "eltwise", "data", "reduce"), a few shapes
//   from small to large, fitted as time = overhead + roofline / efficiency;
// - the link between two device processes: MPI ping-pong from 8 B to 8 MB,
//   fitted as latency + bytes / bandwidth, run under mpirun.
// and writes a machine file of N such devices (default: one per core) that
// `cleave-compile --machine=cpu.json` reads.
//
//===----------------------------------------------------------------------===//

#include "OpProfiling.h"
#include "cleave/Analysis/Machine.h"
#include "cleave/Analysis/RelativeFit.h"
#include "cleave/Runtime/CpuKernels.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <mpi.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace cl = llvm::cl;
extern char **environ;

namespace {

cl::OptionCategory calibrateCategory("Calibration");

cl::opt<std::string> target("target", cl::desc("The devices to measure"),
                            cl::init("cpu"), cl::cat(calibrateCategory));
cl::opt<std::string> outputPath("o", cl::desc("Machine file to write"),
                                cl::value_desc("file"), cl::Required, cl::cat(calibrateCategory));
cl::opt<unsigned> devices("devices",
                          cl::desc("Devices in the machine file (default: "
                                   "one per core)"),
                          cl::init(0), cl::cat(calibrateCategory));
cl::opt<std::string> model("model",
                           cl::desc("Write the op profile of this ONNX model "
                                    "instead of a machine file"),
                           cl::value_desc("file.onnx"), cl::init(""), cl::cat(calibrateCategory));
cl::list<std::string> dims("dim",
                           cl::desc("--model: a symbolic dim's size "
                                    "(as cleave-compile's --dim)"), cl::cat(calibrateCategory));
cl::list<std::string> inputShapes("input-shape",
                                  cl::desc("--model: an input's shape (as "
                                           "cleave-compile's --input-shape)"), cl::cat(calibrateCategory));
cl::opt<unsigned> runs("runs", cl::desc("--model: timed runs per copy"),
                       cl::init(20), cl::cat(calibrateCategory));
cl::opt<unsigned>
    rounds("rounds",
           cl::desc("--model: rounds of --runs (each its own processes); the "
                    "profile keeps each op's median round"),
           cl::init(3), cl::cat(calibrateCategory));
cl::opt<unsigned> placedDevices(
    "placed-devices",
    cl::desc("--model: then retime the ops as a placement on this many "
             "devices runs them (each stage beside the others)"),
    cl::init(0), cl::cat(calibrateCategory));
cl::opt<std::string> machineFile(
    "machine", cl::desc("--placed-devices: the machine file to place with"),
    cl::value_desc("file"), cl::init(""), cl::cat(calibrateCategory));
cl::opt<unsigned>
    microbatches("microbatches",
                 cl::desc("--placed-devices: microbatches of an inference run"),
                 cl::init(8), cl::cat(calibrateCategory));
cl::opt<std::string> compileFlags(
    "compile-flags",
    cl::desc("--model: more cleave-compile flags, space-separated (a "
             "training step's: \"--train --loss=... --optimizer=... "
             "--microbatches=4\")"),
    cl::init(""), cl::cat(calibrateCategory));
cl::opt<bool> probeLink("probe-link", cl::Hidden,
                        cl::desc("Internal: the MPI ping-pong of two ranks"), cl::cat(calibrateCategory));
cl::opt<bool> probeKernels("probe-kernels", cl::Hidden,
                           cl::desc("Internal: kernel measurements on every "
                                    "rank at once"), cl::cat(calibrateCategory));

/// A float tensor of `dims` filled with small values.
struct Buffer {
  Buffer(std::vector<int64_t> dims) : storage(1) {
    t.dtype = CLEAVE_DTYPE_F32;
    t.rank = (int32_t)dims.size();
    int64_t count = 1;
    for (size_t i = 0; i < dims.size(); ++i) {
      t.dims[i] = dims[i];
      count *= dims[i];
    }
    storage.assign(count, 0.5f);
    t.data = storage.data();
  }
  std::vector<float> storage;
  cleave_tensor t{};
};

/// The median seconds of `body` over enough runs to take ~0.2 s.
template <typename Body> double timeIt(Body body) {
  int mpi = 0;
  MPI_Initialized(&mpi);
  if (mpi) // Every rank measures the same kernel at the same time.
    MPI_Barrier(MPI_COMM_WORLD);
  for (int i = 0; i < 3; ++i) // Warm up: caches, oneDNN's JIT.
    body();
  std::vector<double> times;
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (times.size() < 5 || (std::chrono::steady_clock::now() < deadline &&
                              times.size() < 1000)) {
    auto start = std::chrono::steady_clock::now();
    body();
    times.push_back(std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start)
                        .count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void check(cleave_status status) {
  if (status) {
    llvm::errs() << "cleave-calibrate: error: " << cleave_status_message(status)
                 << "\n";
    std::exit(1);
  }
}

/// Two ranks: rank 0 measures round trips and prints latency and bandwidth.
int runLinkProbe(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  auto pingPong = [&](size_t bytes) {
    std::vector<char> data(bytes);
    int peer = 1 - rank;
    double best = 1e30;
    for (int i = 0; i < 30; ++i) {
      MPI_Barrier(MPI_COMM_WORLD);
      double start = MPI_Wtime();
      if (rank == 0) {
        MPI_Send(data.data(), (int)bytes, MPI_BYTE, peer, 0, MPI_COMM_WORLD);
        MPI_Recv(data.data(), (int)bytes, MPI_BYTE, peer, 0, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
      } else {
        MPI_Recv(data.data(), (int)bytes, MPI_BYTE, peer, 0, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        MPI_Send(data.data(), (int)bytes, MPI_BYTE, peer, 0, MPI_COMM_WORLD);
      }
      best = std::min(best, (MPI_Wtime() - start) / 2);
    }
    return best;
  };
  // Every size from 8 B to 8 MB by factors of 4, the range of the values
  // pipeline stages send, fitted by relative error: a latency and a
  // bandwidth from two sizes alone missed the sizes between them.
  std::vector<std::pair<double, double>> samples;
  for (size_t bytes = 8; bytes <= (8u << 20); bytes *= 4)
    samples.push_back({(double)bytes, pingPong(bytes)});
  cleave::analysis::LineFit fit = cleave::analysis::fitRelative(samples, 0);
  if (rank == 0) {
    std::printf("cleave-link {\"latency\":%.9g,\"bandwidth\":%.9g,"
                "\"worst_error\":%.9g,\"samples\":[",
                fit.intercept, 1 / std::max(fit.slope, 1e-15),
                cleave::analysis::worstRelativeError(fit, samples));
    for (auto [i, sample] : llvm::enumerate(samples))
      std::printf("%s[%.0f,%.9g]", i ? "," : "", sample.first, sample.second);
    std::printf("]}\n");
  }
  MPI_Finalize();
  return 0;
}

/// What the kernels measure on one core.
struct Measurements {
  double peak = 0, bandwidth = 0, launch = 0;
  /// By kind: (flops, bytes, seconds) of each shape, in a fixed order.
  llvm::StringMap<std::vector<std::array<double, 3>>> samples;
};

Measurements measureKernels() {
  Measurements m;
  cleave_cpu_set_num_threads(1);

  // Peak: the best rate of large products and of a convolution (oneDNN's
  // convolutions can beat its matrix products).
  for (int64_t n : {512, 1024}) {
    Buffer a({n, n}), b({n, n}), y({n, n});
    double s = timeIt([&] { check(cleave_cpu_matmul(&a.t, &b.t, 0, 0, &y.t)); });
    m.peak = std::max(m.peak, 2.0 * n * n * n / s);
  }
  {
    Buffer x({4, 28, 28, 128}), w({128, 128, 3, 3}), out({4, 28, 28, 128});
    cleave_window win{};
    win.spatial_rank = 2;
    for (int i = 0; i < 2; ++i) {
      win.kernel[i] = 3;
      win.strides[i] = win.dilations[i] = 1;
      win.pads_begin[i] = win.pads_end[i] = 1;
    }
    win.channels_last = 1;
    cleave_cpu_set_constant_region(w.storage.data(),
                                   (int64_t)w.storage.size() * 4);
    double s = timeIt([&] {
      check(cleave_cpu_conv(&x.t, &w.t, nullptr, &win, 1, &out.t));
    });
    cleave_cpu_set_constant_region(nullptr, 0);
    m.peak = std::max(m.peak, 2.0 * 4 * 28 * 28 * 128 * 128 * 9 / s);
  }
  // Bandwidth: y = a + b over 1 Mi floats (4 MiB arrays).
  Buffer a({1 << 20}), b({1 << 20}), y({1 << 20});
  double addSeconds = timeIt(
      [&] { check(cleave_cpu_binary(CLEAVE_BINARY_ADD, &a.t, &b.t, &y.t)); });
  m.bandwidth = 3.0 * 4 * (1 << 20) / addSeconds;
  // Launch overhead: a kernel on 16 elements.
  Buffer tiny({16}), tinyOut({16});
  m.launch = timeIt([&] {
    check(cleave_cpu_unary(CLEAVE_UNARY_RELU, 0, 0, &tiny.t, &tinyOut.t));
  });

  // Each kind on a few shapes, from small to large, fitted as
  // time = overhead + roofline / efficiency by least squares of relative
  // errors (a kernel call costs more than its work on small tensors:
  // primitive dispatch, cache misses).
  auto sample = [&](const char *kind, double flops, double bytes,
                    auto body) {
    m.samples[kind].push_back({flops, bytes, timeIt(body)});
  };
  // A model's weights are read once per run and do not stay in cache:
  // kernels with weights rotate through copies that together exceed it.
  auto copies = [](int64_t bytes) {
    return (size_t)std::clamp<int64_t>((32 << 20) / std::max<int64_t>(bytes, 1),
                                       1, 64);
  };
  for (auto [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{32, 128, 128},
                         {64, 128, 384},
                         {64, 512, 128},
                         {256, 512, 512}}) {
    Buffer x({m, k}), out({m, n});
    std::vector<Buffer> w(copies(4 * k * n), Buffer({k, n}));
    for (Buffer &b : w)
      b.t.data = b.storage.data();
    size_t next = 0;
    sample("matmul", 2.0 * m * k * n, 4.0 * (m * k + k * n + m * n), [&] {
      check(cleave_cpu_matmul(&x.t, &w[next++ % w.size()].t, 0, 0, &out.t));
    });
  }
  // Convolutions, channels-last as compiled: (batch, size, in, out, kernel,
  // groups; groups == in is depthwise).
  for (auto [n, hw, cin, cout, k, groups] :
       {std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t>{
            1, 8, 32, 32, 3, 1},
        {2, 28, 64, 64, 3, 1},
        {2, 16, 64, 256, 1, 1},
        {2, 16, 256, 64, 1, 1},
        {2, 8, 128, 128, 3, 1},
        {2, 48, 3, 16, 3, 1}, // A stem: few input channels.
        {2, 48, 8, 48, 1, 1}, // Narrow 1x1 layers at high resolution.
        {2, 48, 48, 8, 1, 1},
        {1, 8, 32, 32, 3, 32},
        {2, 24, 96, 96, 3, 96},
        {2, 12, 192, 192, 3, 192},
        {2, 48, 96, 96, 3, 96}}) {
    Buffer x({n, hw, hw, cin}), out({n, hw, hw, cout});
    std::vector<Buffer> w(copies(4 * cout * (cin / groups) * k * k),
                          Buffer({cout, cin / groups, k, k}));
    // One constant region over all copies: they are weights.
    std::vector<float> region(w.size() * w[0].storage.size());
    for (size_t i = 0; i < w.size(); ++i)
      w[i].t.data = region.data() + i * w[0].storage.size();
    cleave_window window{};
    window.spatial_rank = 2;
    for (int i = 0; i < 2; ++i) {
      window.kernel[i] = k;
      window.strides[i] = window.dilations[i] = 1;
      window.pads_begin[i] = window.pads_end[i] = k / 2;
    }
    window.channels_last = 1;
    cleave_cpu_set_constant_region(region.data(),
                                   (int64_t)region.size() * 4);
    size_t next = 0;
    double flops = 2.0 * n * hw * hw * cout * (cin / groups) * k * k;
    double bytes = 4.0 * (n * hw * hw * (cin + cout) + w[0].storage.size());
    sample(groups > 1 ? "dwconv" : "conv", flops, bytes, [&] {
      check(cleave_cpu_conv(&x.t, &w[next++ % w.size()].t, nullptr, &window,
                            groups, &out.t));
    });
    // As compiled models run them: a fused residual and Relu, or a ReLU6.
    Buffer residual({n, hw, hw, cout});
    sample(groups > 1 ? "dwconv" : "conv", flops,
           bytes + 4.0 * n * hw * hw * cout, [&] {
             check(cleave_cpu_conv_fused(
                 &x.t, &w[next++ % w.size()].t, nullptr,
                 groups > 1 ? nullptr : &residual.t, &window, groups, 0.0f,
                 groups > 1 ? 6.0f : INFINITY, 0, &out.t));
           });
    cleave_cpu_set_constant_region(nullptr, 0);
    if (groups > 1)
      continue;
    // A training step's backward convolutions, on ONNX's [N, C, H, W]:
    // the same arithmetic as the forward one, each.
    Buffer xPlain({n, cin, hw, hw}), dy({n, cout, hw, hw}),
        dx({n, cin, hw, hw}), dw({cout, cin, k, k});
    cleave_window plain = window;
    plain.channels_last = 0;
    sample("conv_grad", flops, bytes, [&] {
      check(cleave_cpu_conv_backward_data(&dy.t, &w[0].t, &plain, 1, &dx.t));
    });
    sample("conv_grad", flops, bytes, [&] {
      check(cleave_cpu_conv_backward_weights(&xPlain.t, &dy.t, &plain, 1,
                                             &dw.t));
    });
  }
  for (auto [n, hw, c] : {std::tuple<int64_t, int64_t, int64_t>{1, 8, 32},
                          {2, 32, 16},
                          {2, 56, 64}}) {
    Buffer x({n, hw, hw, c}), out({n, hw / 2, hw / 2, c});
    cleave_window w{};
    w.spatial_rank = 2;
    for (int i = 0; i < 2; ++i) {
      w.kernel[i] = 3;
      w.strides[i] = 2;
      w.dilations[i] = 1;
      w.pads_begin[i] = 1;
    }
    w.channels_last = 1;
    sample("pool", 9.0 * n * (hw / 2) * (hw / 2) * c,
           4.0 * (n * hw * hw * c + n * (hw / 2) * (hw / 2) * c),
           [&] { check(cleave_cpu_pool(CLEAVE_POOL_MAX, &x.t, &w, &out.t)); });
  }
  // Row-wise kinds on [rows, width].
  for (auto [count, width] : {std::pair<int64_t, int64_t>{64, 64},
                              {64, 128},
                              {512, 128},
                              {4096, 256}}) {
    Buffer x({count, width}), scale({width}), out({count, width}),
        other({count, width}), transposed({width, count}), row({count, 1});
    double elements = (double)count * width;
    int64_t perm[] = {1, 0};
    sample("norm", 8 * elements, 8 * elements, [&] {
      check(cleave_cpu_layer_norm(&x.t, &scale.t, nullptr, 1, 1e-5f, &out.t));
    });
    sample("softmax", 5 * elements, 8 * elements,
           [&] { check(cleave_cpu_softmax(&x.t, 1, 0, &out.t)); });
    sample("data", 0, 8 * elements,
           [&] { check(cleave_cpu_transpose(&x.t, perm, &transposed.t)); });
    sample("reduce", elements, 4 * (elements + count), [&] {
      check(cleave_cpu_reduce(CLEAVE_REDUCE_MEAN, &x.t, &row.t));
    });
    // Binary ops of small tensors skip oneDNN's dispatch, unary ones do
    // not: both kinds of call, or the fit says eltwise ops cost no
    // overhead (a recurrent layer's gates were then predicted 3x fast).
    sample("eltwise", elements, 12 * elements, [&] {
      check(cleave_cpu_binary(CLEAVE_BINARY_ADD, &x.t, &other.t, &out.t));
    });
    sample("eltwise", elements, 8 * elements, [&] {
      check(cleave_cpu_unary(CLEAVE_UNARY_SIGMOID, 0, 0, &x.t, &out.t));
    });
  }
  // The transposes into and out of channels-last at a CNN's edges.
  for (auto [n, c, hw] : {std::tuple<int64_t, int64_t, int64_t>{2, 3, 96},
                          {2, 64, 16}}) {
    Buffer x({n, c, hw, hw}), out({n, hw, hw, c});
    int64_t perm[] = {0, 2, 3, 1};
    sample("data", 0, 8.0 * n * c * hw * hw,
           [&] { check(cleave_cpu_transpose(&x.t, perm, &out.t)); });
  }
  return m;
}

/// `devices` ranks measure at once (as many device processes will run, so
/// caches and memory bandwidth are shared as in a real run); rank 0 prints
/// the means.
int runKernelProbe(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  Measurements m = measureKernels();
  auto mean = [&](double value) {
    double sum = 0;
    MPI_Allreduce(&value, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    return sum / size;
  };
  llvm::json::Object kinds;
  double peak = mean(m.peak), bandwidth = mean(m.bandwidth),
         launch = mean(m.launch);
  for (auto &entry : m.samples) {
    llvm::json::Array list;
    for (auto &[flops, bytes, seconds] : entry.getValue())
      list.push_back(llvm::json::Array{flops, bytes, mean(seconds)});
    kinds[entry.getKey()] = std::move(list);
  }
  if (rank == 0) {
    llvm::json::Value out = llvm::json::Object{{"peak", peak},
                                               {"bandwidth", bandwidth},
                                               {"launch", launch},
                                               {"samples", std::move(kinds)}};
    llvm::outs() << "cleave-kernels " << llvm::formatv("{0}", out) << "\n";
    llvm::outs().flush();
  }
  MPI_Finalize();
  return 0;
}

/// Runs `self` under mpirun with `ranks` ranks and `flag`; returns the JSON
/// after `marker` in rank 0's output.
std::optional<llvm::json::Value> runUnderMpi(const char *self, unsigned ranks,
                                             llvm::StringRef flag,
                                             llvm::StringRef marker) {
  llvm::ErrorOr<std::string> mpirun = llvm::sys::findProgramByName("mpirun");
  if (!mpirun)
    return std::nullopt;
  std::string exe = llvm::sys::fs::getMainExecutable(
      self, reinterpret_cast<void *>(&runLinkProbe));
  llvm::SmallString<128> out;
  llvm::sys::fs::createTemporaryFile("cleave-calibrate", "txt", out);
  std::vector<std::string> storage;
  for (char **e = environ; *e; ++e)
    storage.push_back(*e);
  storage.push_back("OMPI_ALLOW_RUN_AS_ROOT=1");
  storage.push_back("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1");
  std::vector<llvm::StringRef> env(storage.begin(), storage.end());
  std::string count = std::to_string(ranks);
  llvm::StringRef args[] = {*mpirun, "--oversubscribe", "-np", count, exe,
                            flag,    "-o",              "unused"};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt,
                                                llvm::StringRef(out),
                                                std::nullopt};
  int rc = llvm::sys::ExecuteAndWait(*mpirun, args, env, redirects);
  auto text = llvm::MemoryBuffer::getFile(out);
  llvm::sys::fs::remove(out);
  if (rc != 0 || !text)
    return std::nullopt;
  llvm::StringRef body = (*text)->getBuffer();
  size_t at = body.find(marker);
  if (at == llvm::StringRef::npos)
    return std::nullopt;
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse(body.drop_front(at + marker.size())
                            .take_until([](char c) { return c == '\n'; }));
  if (!json) {
    llvm::consumeError(json.takeError());
    return std::nullopt;
  }
  return std::move(*json);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(calibrateCategory);
  cl::ParseCommandLineOptions(argc, argv, "Cleave machine calibration\n");
  if (probeLink)
    return runLinkProbe(argc, argv);
  if (probeKernels) {
    cleave_cpu_set_num_threads(1);
    return runKernelProbe(argc, argv);
  }
  unsigned count =
      devices ? devices : std::max(1u, std::thread::hardware_concurrency());
  if (!model.empty()) {
    cleave::calibrate::ProfileOptions options;
    options.model = model;
    for (const std::string &dim : dims)
      options.compileFlags.push_back("--dim=" + dim);
    for (const std::string &shape : inputShapes)
      options.compileFlags.push_back("--input-shape=" + shape);
    llvm::SmallVector<llvm::StringRef> more;
    llvm::StringRef(compileFlags).split(more, ' ', -1, /*KeepEmpty=*/false);
    for (llvm::StringRef flag : more)
      options.compileFlags.push_back(flag.str());
    // Alone by default: copies of the whole model at once contend for
    // caches more than a pipeline's stages, which each hold a part of it
    // (ResNet-50's ops measured 30% slower that way than in a 2-stage run).
    options.copies = devices ? devices : 1;
    options.runs = std::max(1u, (unsigned)runs);
    options.rounds = std::max(1u, (unsigned)rounds);
    auto refuse = [](const llvm::Twine &message) {
      llvm::errs() << "cleave-calibrate: error: " << message << "\n";
      return 1;
    };
    if (placedDevices == 1)
      return refuse("--placed-devices needs 2 or more devices");
    // The first profile is of one device's compile; --placed-devices and
    // --machine place the second.
    for (const std::string &flag : options.compileFlags)
      for (llvm::StringRef placing :
           {"--num-devices", "--machine", "--op-profile", "--placement"})
        if (llvm::StringRef(flag).starts_with(placing))
          return refuse("--compile-flags gives '" + flag + "': " + placing +
                        " is not for the profile's compile " +
                        "(--placed-devices and --machine place the model)");
    options.placedDevices = placedDevices;
    options.machine = machineFile;
    options.microbatches = std::max(1u, (unsigned)microbatches);
    options.output = outputPath;
    return cleave::calibrate::profileModel(argv[0], options);
  }
  if (target != "cpu") {
    llvm::errs() << "cleave-calibrate: error: --target=" << target
                 << " is not supported (only cpu)\n";
    return 1;
  }
  // Measure with one process per device running at once; alone if there
  // is no mpirun.
  Measurements m;
  if (std::optional<llvm::json::Value> json = runUnderMpi(
          argv[0], count, "--probe-kernels", "cleave-kernels ")) {
    llvm::json::Object *o = json->getAsObject();
    m.peak = o->getNumber("peak").value_or(0);
    m.bandwidth = o->getNumber("bandwidth").value_or(0);
    m.launch = o->getNumber("launch").value_or(0);
    for (auto &entry : *o->getObject("samples"))
      for (const llvm::json::Value &v : *entry.second.getAsArray()) {
        const llvm::json::Array &a = *v.getAsArray();
        m.samples[llvm::StringRef(entry.first)].push_back(
            {*a[0].getAsNumber(), *a[1].getAsNumber(), *a[2].getAsNumber()});
      }
  } else {
    cleave_cpu_set_num_threads(1);
    m = measureKernels();
  }
  double peak = m.peak, bandwidth = m.bandwidth, launch = m.launch;
  auto roofline = [&](double flops, double bytes) {
    return std::max(flops / peak, bytes / bandwidth);
  };
  llvm::StringMap<double> efficiency, overhead;
  for (const auto &entry : m.samples) {
    // t = overhead + roofline / efficiency.
    std::vector<std::pair<double, double>> points;
    for (auto [flops, bytes, t] : entry.getValue())
      points.push_back({roofline(flops, bytes), t});
    // No kernel beats the roofline: a slope of at least 1.
    cleave::analysis::LineFit fit =
        cleave::analysis::fitRelative(points, /*minSlope=*/1.0);
    efficiency[entry.getKey()] = std::max(1 / fit.slope, 0.01);
    overhead[entry.getKey()] = fit.intercept;
  }

  double latency = 2e-6, linkBandwidth = 5e9, linkError = 0;
  bool linked = false;
  if (std::optional<llvm::json::Value> json =
          runUnderMpi(argv[0], 2, "--probe-link", "cleave-link ")) {
    latency = json->getAsObject()->getNumber("latency").value_or(-1);
    linkBandwidth = json->getAsObject()->getNumber("bandwidth").value_or(0);
    linkError = json->getAsObject()->getNumber("worst_error").value_or(0);
    linked = latency >= 0 && linkBandwidth > 0;
    if (!linked)
      latency = 2e-6, linkBandwidth = 5e9;
  }
  double memory = (double)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
  llvm::json::Object kinds, overheads;
  for (const auto &entry : efficiency)
    kinds[entry.getKey()] = entry.getValue();
  for (const auto &entry : overhead)
    overheads[entry.getKey()] = entry.getValue();
  llvm::json::Value machine = llvm::json::Object{
      {"name", "calibrated-cpu"},
      {"devices",
       llvm::json::Array{llvm::json::Object{
           {"name", "cpu"},
           {"kind", "cpu"},
           {"count", (int64_t)count},
           {"peak_flops", llvm::json::Object{{"f32", peak}}},
           {"memory_bandwidth", bandwidth},
           {"memory_capacity", memory > 0 ? memory / count : 1e9},
           {"launch_overhead", launch},
           {"kernel_efficiency", std::move(kinds)},
           {"kernel_overhead", std::move(overheads)}}}},
      {"links", llvm::json::Array{llvm::json::Object{
                    {"level", "node"},
                    {"bandwidth", linkBandwidth},
                    {"latency", latency}}}}};
  std::string text = llvm::formatv("{0:2}", machine).str() + "\n";
  // What we write must be a machine the compiler reads.
  if (llvm::Expected<cleave::analysis::Machine> check =
          cleave::analysis::parseMachine(text, outputPath);
      !check) {
    llvm::errs() << "cleave-calibrate: error: "
                 << llvm::toString(check.takeError()) << "\n";
    return 1;
  }
  if (llvm::Error error =
          llvm::writeToOutput(outputPath, [&](llvm::raw_ostream &os) {
            os << text;
            return llvm::Error::success();
          })) {
    llvm::errs() << "cleave-calibrate: error: " << toString(std::move(error))
                 << "\n";
    return 1;
  }
  llvm::outs() << llvm::formatv(
      "peak {0:f1} GFLOP/s, bandwidth {1:f1} GB/s, launch {2:f2} us, link "
      "{3}{4:f2} GB/s and {5:f2} us{6}; wrote {7} ({8} devices)\n",
      peak / 1e9, bandwidth / 1e9, launch * 1e6,
      linked ? "" : "(not measured: no mpirun) ", linkBandwidth / 1e9,
      latency * 1e6,
      linked ? llvm::formatv(" (within {0:f0}% from 8 B to 8 MB)",
                             linkError * 100)
                   .str()
             : std::string(),
      outputPath, count);
  for (const auto &entry : efficiency)
    llvm::outs() << llvm::formatv("  {0,-8} {1:f2} of the roofline, "
                                  "{2:f2} us per call\n",
                                  entry.getKey(), entry.getValue(),
                                  overhead.lookup(entry.getKey()) * 1e6);
  return 0;
}
