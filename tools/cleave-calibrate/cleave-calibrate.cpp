//===- cleave-calibrate.cpp - measure this machine for the cost model -----===//
//
//   cleave-calibrate --target=cpu -o cpu.json [--devices N]
//
// Measures, on one core (a CPU device is one single-threaded process):
// - peak f32 FLOP/s: the best of large matrix products;
// - memory bandwidth: a streaming add over arrays the size of typical
//   activations;
// - launch overhead: a kernel on a handful of elements;
// - for each kind of kernel ("matmul", "conv", "dwconv", "pool", "norm",
//   "softmax", "eltwise", "data", "reduce"), a small and a large case, fitted
//   as
//   time = overhead + roofline / efficiency;
// - the link between two device processes: MPI ping-pong of small and large
//   messages (latency and bandwidth), run under mpirun.
// and writes a machine file of N such devices (default: one per core) that
// `cleave-compile --machine=cpu.json` reads.
//
//===----------------------------------------------------------------------===//

#include "cleave/Analysis/Machine.h"
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
#include <chrono>
#include <mpi.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace cl = llvm::cl;
extern char **environ;

namespace {

cl::opt<std::string> target("target", cl::desc("The devices to measure"),
                            cl::init("cpu"));
cl::opt<std::string> outputPath("o", cl::desc("Machine file to write"),
                                cl::value_desc("file"), cl::Required);
cl::opt<unsigned> devices("devices",
                          cl::desc("Devices in the machine file (default: "
                                   "one per core)"),
                          cl::init(0));
cl::opt<bool> probeLink("probe-link", cl::Hidden,
                        cl::desc("Internal: the MPI ping-pong of two ranks"));

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
  double latency = pingPong(8);
  size_t large = 16 << 20;
  double seconds = pingPong(large);
  if (rank == 0)
    std::printf("cleave-link {\"latency\":%.9g,\"bandwidth\":%.9g}\n", latency,
                (double)large / std::max(seconds - latency, 1e-9));
  MPI_Finalize();
  return 0;
}

/// Runs this tool as two MPI ranks and reads rank 0's line.
bool measureLink(const char *self, double &latency, double &bandwidth) {
  llvm::ErrorOr<std::string> mpirun = llvm::sys::findProgramByName("mpirun");
  if (!mpirun)
    return false;
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
  llvm::StringRef args[] = {*mpirun, "--oversubscribe", "-np", "2", exe,
                            "--probe-link", "-o", "unused"};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt,
                                                llvm::StringRef(out),
                                                std::nullopt};
  int rc = llvm::sys::ExecuteAndWait(*mpirun, args, env, redirects);
  auto text = llvm::MemoryBuffer::getFile(out);
  llvm::sys::fs::remove(out);
  if (rc != 0 || !text)
    return false;
  llvm::StringRef body = (*text)->getBuffer();
  size_t at = body.find("cleave-link ");
  if (at == llvm::StringRef::npos)
    return false;
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(
      body.drop_front(at + 12).take_until([](char c) { return c == '\n'; }));
  if (!json) {
    llvm::consumeError(json.takeError());
    return false;
  }
  latency = json->getAsObject()->getNumber("latency").value_or(0);
  bandwidth = json->getAsObject()->getNumber("bandwidth").value_or(0);
  return latency > 0 && bandwidth > 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "Cleave machine calibration\n");
  if (probeLink)
    return runLinkProbe(argc, argv);
  if (target != "cpu") {
    llvm::errs() << "cleave-calibrate: error: --target=" << target
                 << " is not supported (only cpu)\n";
    return 1;
  }
  cleave_cpu_set_num_threads(1);

  // Peak: the best rate of large products and of a convolution (oneDNN's
  // convolutions can beat its matrix products).
  double peak = 0;
  for (int64_t n : {512, 1024}) {
    Buffer a({n, n}), b({n, n}), y({n, n});
    double s = timeIt([&] { check(cleave_cpu_matmul(&a.t, &b.t, &y.t)); });
    peak = std::max(peak, 2.0 * n * n * n / s);
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
    peak = std::max(peak, 2.0 * 4 * 28 * 28 * 128 * 128 * 9 / s);
  }
  // Bandwidth: y = a + b over 1 Mi floats (4 MiB arrays).
  Buffer a({1 << 20}), b({1 << 20}), y({1 << 20});
  double addSeconds = timeIt(
      [&] { check(cleave_cpu_binary(CLEAVE_BINARY_ADD, &a.t, &b.t, &y.t)); });
  double bandwidth = 3.0 * 4 * (1 << 20) / addSeconds;
  // Launch overhead: a kernel on 16 elements.
  Buffer tiny({16}), tinyOut({16});
  double launch = timeIt([&] {
    check(cleave_cpu_unary(CLEAVE_UNARY_RELU, 0, 0, &tiny.t, &tinyOut.t));
  });

  // Each kind, small and large: time = overhead + roofline / efficiency,
  // fitted through the two points (a kernel call costs more than its work
  // on small tensors: primitive dispatch, threads, cache misses).
  llvm::StringMap<double> efficiency, overhead;
  auto fit = [&](const char *name, double rooflineSmall, double timeSmall,
                 double rooflineLarge, double timeLarge) {
    double slope = (timeLarge - timeSmall) /
                   std::max(rooflineLarge - rooflineSmall, 1e-12);
    slope = std::max(slope, 1.0); // At most the roofline's speed.
    efficiency[name] = std::max(1.0 / slope, 0.01);
    overhead[name] = std::max(timeSmall - slope * rooflineSmall, 0.0);
  };
  auto roofline = [&](double flops, double bytes) {
    return std::max(flops / peak, bytes / bandwidth);
  };
  auto matmul = [&](int64_t m, int64_t k, int64_t n, double &r) {
    Buffer x({m, k}), w({k, n}), out({m, n});
    r = roofline(2.0 * m * k * n, 4.0 * (m * k + k * n + m * n));
    return timeIt([&] { check(cleave_cpu_matmul(&x.t, &w.t, &out.t)); });
  };
  {
    double r1, r2;
    double t1 = matmul(32, 128, 128, r1), t2 = matmul(256, 512, 512, r2);
    fit("matmul", r1, t1, r2, t2);
  }
  cleave_window window3x3{};
  window3x3.spatial_rank = 2;
  for (int i = 0; i < 2; ++i) {
    window3x3.kernel[i] = 3;
    window3x3.strides[i] = window3x3.dilations[i] = 1;
    window3x3.pads_begin[i] = window3x3.pads_end[i] = 1;
  }
  window3x3.channels_last = 1;
  auto conv = [&](int64_t n, int64_t hw, int64_t c, double &r) {
    Buffer x({n, hw, hw, c}), w({c, c, 3, 3}), out({n, hw, hw, c});
    cleave_cpu_set_constant_region(w.storage.data(),
                                   (int64_t)w.storage.size() * 4);
    r = roofline(2.0 * n * hw * hw * c * c * 9,
                 4.0 * (2 * n * hw * hw * c + c * c * 9));
    double t = timeIt([&] {
      check(cleave_cpu_conv(&x.t, &w.t, nullptr, &window3x3, 1, &out.t));
    });
    cleave_cpu_set_constant_region(nullptr, 0);
    return t;
  };
  {
    double r1, r2;
    double t1 = conv(1, 8, 32, r1), t2 = conv(2, 28, 64, r2);
    fit("conv", r1, t1, r2, t2);
  }
  auto depthwise = [&](int64_t n, int64_t hw, int64_t c, double &r) {
    Buffer x({n, hw, hw, c}), w({c, 1, 3, 3}), out({n, hw, hw, c});
    cleave_cpu_set_constant_region(w.storage.data(),
                                   (int64_t)w.storage.size() * 4);
    r = roofline(2.0 * n * hw * hw * c * 9, 4.0 * (2 * n * hw * hw * c + c * 9));
    double t = timeIt([&] {
      check(cleave_cpu_conv(&x.t, &w.t, nullptr, &window3x3, c, &out.t));
    });
    cleave_cpu_set_constant_region(nullptr, 0);
    return t;
  };
  {
    double r1, r2;
    double t1 = depthwise(1, 8, 32, r1), t2 = depthwise(2, 48, 96, r2);
    fit("dwconv", r1, t1, r2, t2);
  }
  auto pool = [&](int64_t n, int64_t hw, int64_t c, double &r) {
    Buffer x({n, hw, hw, c}), out({n, hw / 2, hw / 2, c});
    cleave_window w = window3x3;
    w.strides[0] = w.strides[1] = 2;
    w.pads_end[0] = w.pads_end[1] = 0;
    r = roofline(9.0 * n * (hw / 2) * (hw / 2) * c,
                 4.0 * (n * hw * hw * c + n * (hw / 2) * (hw / 2) * c));
    return timeIt(
        [&] { check(cleave_cpu_pool(CLEAVE_POOL_MAX, &x.t, &w, &out.t)); });
  };
  {
    double r1, r2;
    double t1 = pool(1, 8, 32, r1), t2 = pool(2, 56, 64, r2);
    fit("pool", r1, t1, r2, t2);
  }
  // Row-wise kinds on [rows, 256] (and 64-wide for the small point).
  auto rows = [&](const char *name, double flopsPerElement, int64_t count,
                  int64_t width, double &r) {
    Buffer x({count, width}), scale({width}), out({count, width}),
        other({count, width}), transposed({width, count}), row({count, 1});
    double elements = (double)count * width;
    r = roofline(flopsPerElement * elements,
                 4.0 * elements * (llvm::StringRef(name) == "eltwise" ? 3 : 2));
    int64_t perm[] = {1, 0};
    llvm::StringRef kind(name);
    return timeIt([&] {
      if (kind == "norm")
        check(cleave_cpu_layer_norm(&x.t, &scale.t, nullptr, 1, 1e-5f, &out.t));
      else if (kind == "softmax")
        check(cleave_cpu_softmax(&x.t, 1, 0, &out.t));
      else if (kind == "data")
        check(cleave_cpu_transpose(&x.t, perm, &transposed.t));
      else if (kind == "reduce")
        check(cleave_cpu_reduce(CLEAVE_REDUCE_MEAN, &x.t, &row.t));
      else
        check(cleave_cpu_binary(CLEAVE_BINARY_ADD, &x.t, &other.t, &out.t));
    });
  };
  for (auto [name, flops] : {std::pair("norm", 8.0), std::pair("softmax", 5.0),
                             std::pair("data", 0.0), std::pair("reduce", 1.0),
                             std::pair("eltwise", 1.0)}) {
    double r1, r2;
    double t1 = rows(name, flops, 64, 64, r1),
           t2 = rows(name, flops, 4096, 256, r2);
    fit(name, r1, t1, r2, t2);
  }

  double latency = 2e-6, linkBandwidth = 5e9;
  bool linked = measureLink(argv[0], latency, linkBandwidth);
  unsigned count =
      devices ? devices : std::max(1u, std::thread::hardware_concurrency());
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
      "{3}{4:f2} GB/s and {5:f2} us; wrote {6} ({7} devices)\n",
      peak / 1e9, bandwidth / 1e9, launch * 1e6,
      linked ? "" : "(not measured: no mpirun) ", linkBandwidth / 1e9,
      latency * 1e6, outputPath, count);
  for (const auto &entry : efficiency)
    llvm::outs() << llvm::formatv("  {0,-8} {1:f2} of the roofline, "
                                  "{2:f2} us per call\n",
                                  entry.getKey(), entry.getValue(),
                                  overhead.lookup(entry.getKey()) * 1e6);
  return 0;
}
