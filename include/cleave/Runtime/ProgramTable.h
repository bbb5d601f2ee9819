//===- ProgramTable.h - what every generated program shares -----*- C++ -*-===//
//
// The program table (name, arena and weights sizes, inputs, outputs, run
// function), the device main that runs it, and the helpers that build
// tensor views and windows and call kernels. Program.h (CPU) and
// CudaProgram.h (CUDA) add their target's kernels and transport: the
// generated code is the same for both but for the kernels' prefix.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_PROGRAMTABLE_H
#define CLEAVE_RUNTIME_PROGRAMTABLE_H

#include "cleave/Runtime/KernelTypes.h"
#include "cleave/Runtime/Tensor.h"
#include <array>
#include <chrono>
#include <cmath> // EmitC prints infinities as INFINITY.
#include <cstddef>
#include <cstring>
#include <initializer_list>

/// Returns the status from the generated function when it is a failure.
#define CLEAVE_PROGRAM_CHECK(status)                                           \
  do {                                                                         \
    cleave_status cleave_checked_ = (status);                                  \
    if (cleave_checked_)                                                       \
      return cleave_checked_;                                                  \
  } while (0)

/// Out of line: what a generated program calls thousands of times is
/// compiled once, not at every call (inlined views doubled the build time
/// of a training step).
#if defined(__GNUC__)
#define CLEAVE_PROGRAM_NOINLINE __attribute__((noinline))
#else
#define CLEAVE_PROGRAM_NOINLINE
#endif

/// A part of a generated program's run function, kept out of line: a C++
/// compiler's optimizer takes time superlinear in a function's size, so
/// each part is optimized alone (a 14,000-call training step as one
/// function took 115 s to build at -O1).
#define CLEAVE_PROGRAM_PART static CLEAVE_PROGRAM_NOINLINE

/// A graph input or output of a device program.
struct cleave_program_io {
  const char *name;
  cleave_dtype dtype;
  int32_t rank;
  int64_t dims[CLEAVE_MAX_RANK];
};

/// One kernel or transfer call of a program, for its profile and trace:
/// the runtime kernel, the graph op it computes, the ONNX node it came from
/// ("" when none), the shapes of its views ("1x16 10x16 -> 1x10"); in a
/// training step its phase ("forward", "backward", "optimizer") and
/// microbatch (-1: none); a transfer's peer device, tag and bytes (-1, -1,
/// 0 otherwise); the arena bytes alive while it runs; the placement's
/// predicted milliseconds (0: none); and the op's cost signature, by which
/// a profile becomes an op profile ("" for none).
struct cleave_program_site {
  const char *kernel;
  const char *op;
  const char *node;
  const char *shapes;
  const char *phase;
  int32_t microbatch;
  int32_t peer;
  int32_t tag;
  int64_t bytes;
  int64_t arena_in_use;
  double predicted_ms;
  const char *signature;
};

typedef cleave_status (*cleave_program_run)(char *arena, const char *weights,
                                            const cleave_tensor *inputs,
                                            const cleave_tensor *outputs);

struct cleave_program {
  const char *name;
  int64_t arena_size;
  int64_t weights_size;
  int32_t num_inputs;
  const cleave_program_io *inputs;
  int32_t num_outputs;
  const cleave_program_io *outputs;
  cleave_program_run run;
  /// Data-parallel training: the job runs this many copies of every
  /// device, replica r's device k as MPI rank r * devices + k.
  int32_t replicas;
  /// Every call of `run`, indexed by the site number each call passes.
  int32_t num_sites;
  const cleave_program_site *sites;
};

/// Nonzero while `--profile` or `--trace` times every call
/// (cleave::program::call checks it: one branch per call when off).
extern int cleave_profile_on;
/// Records one call of `site`, from `start_ns` to `end_ns` on the steady
/// clock.
void cleave_profile_record(int32_t site, int64_t start_ns, int64_t end_ns);
/// Waits for the device's queued work (the CUDA backend's synchronize),
/// so that a call's time is its kernel's; NULL on the CPU.
extern cleave_status (*cleave_profile_sync)(void);

/// Where a program's arena, weights, inputs and outputs live when that is
/// not host memory (the CUDA runtime supplies one for its GPUs). The device
/// main copies the weights and inputs there once, runs every repetition on
/// that memory, synchronizes after each, and copies the outputs back.
struct cleave_device_backend {
  const char *name;
  cleave_status (*alloc)(size_t bytes, void **out);
  void (*release)(void *data);
  cleave_status (*upload)(void *device, const void *host, size_t bytes);
  cleave_status (*download)(void *host, const void *device, size_t bytes);
  /// Waits for the queued work; reports errors the kernels raised.
  cleave_status (*synchronize)(void);
  /// Declares the weights (see cleave_cpu_set_constant_region).
  void (*set_constant_region)(const void *data, int64_t size);
  /// Runs the program once (queues it); NULL: program.run.
  cleave_status (*run)(const struct cleave_program &program, char *arena,
                       const char *weights, const cleave_tensor *inputs,
                       const cleave_tensor *outputs);
};

/// The whole executable: parses --weights, --input name=file,
/// --output name=file, --num-threads, --repeat and --warmup, then runs.
int cleave_device_main(int argc, char **argv, const cleave_program &program);

/// cleave_device_main on `backend`'s memory (NULL: host memory).
int cleave_device_main_on(int argc, char **argv, const cleave_program &program,
                          const cleave_device_backend *backend);

namespace cleave::program {

/// A tensor of `dims` at byte `offset` of `base` (arena or weights).
CLEAVE_PROGRAM_NOINLINE inline cleave_tensor
view(const void *base, cleave_dtype dtype, int64_t offset,
     std::initializer_list<int64_t> dims) {
  cleave_tensor t{};
  t.dtype = dtype;
  t.rank = (int32_t)dims.size();
  int32_t i = 0;
  for (int64_t d : dims)
    t.dims[i++] = d;
  t.data = const_cast<char *>(static_cast<const char *>(base)) + offset;
  return t;
}

inline cleave_tensor at(const cleave_tensor *tensors, int64_t index) {
  return tensors[index];
}

/// A window over the spatial axes, with resolved padding.
inline cleave_window window(std::initializer_list<int64_t> kernel,
                            std::initializer_list<int64_t> strides,
                            std::initializer_list<int64_t> dilations,
                            std::initializer_list<int64_t> padsBegin,
                            std::initializer_list<int64_t> padsEnd,
                            int32_t channelsLast = 0) {
  cleave_window w{};
  w.spatial_rank = (int32_t)kernel.size();
  w.channels_last = channelsLast;
  auto fill = [](int64_t *out, std::initializer_list<int64_t> values) {
    int32_t i = 0;
    for (int64_t v : values)
      out[i++] = v;
  };
  fill(w.kernel, kernel);
  fill(w.strides, strides);
  fill(w.dilations, dilations);
  fill(w.pads_begin, padsBegin);
  fill(w.pads_end, padsEnd);
  return w;
}

/// A list of input tensors (Concat's, Einsum's).
template <typename... Tensors>
std::array<const cleave_tensor *, sizeof...(Tensors)>
tensors(const Tensors &...inputs) {
  return {&inputs...};
}

namespace detail {
/// How a generated argument becomes the kernel parameter of type P: views
/// by address, NULL for absent operands, lists by their data; scalars and
/// enumerators convert as C++ converts them (an integer is no enumerator).
template <typename P> struct Param {
  template <typename A> static P get(const A &value) { return value; }
};
template <> struct Param<const cleave_tensor *> {
  static const cleave_tensor *get(const cleave_tensor &t) { return &t; }
  static const cleave_tensor *get(std::nullptr_t) { return nullptr; }
};
template <> struct Param<cleave_tensor *> {
  // Views are descriptors of planned memory: the kernel writes the data,
  // never the descriptor.
  static cleave_tensor *get(const cleave_tensor &t) {
    return const_cast<cleave_tensor *>(&t);
  }
  static cleave_tensor *get(std::nullptr_t) { return nullptr; }
};
template <> struct Param<const cleave_window *> {
  static const cleave_window *get(const cleave_window &w) { return &w; }
};
template <typename T> struct Param<const T *> {
  template <size_t N> static const T *get(const std::array<T, N> &list) {
    return list.data();
  }
  static const T *get(const char *text) { return text; } // For const char *.
};
} // namespace detail

/// Calls `kernel` with the generated arguments: the C++ compiler checks
/// each one against the kernel's declaration (Kernels.def). `site` is the
/// call's index in the program's site table, for the profile and trace.
template <typename... P, typename... A>
cleave_status call(int32_t site, cleave_status (*kernel)(P...),
                   const A &...args) {
  static_assert(sizeof...(P) == sizeof...(A), "wrong number of arguments");
  if (__builtin_expect(cleave_profile_on, 0)) {
    auto now = [] {
      return (int64_t)std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
    int64_t start = now();
    cleave_status status = kernel(detail::Param<P>::get(args)...);
    if (!status && cleave_profile_sync)
      status = cleave_profile_sync();
    cleave_profile_record(site, start, now());
    return status;
  }
  return kernel(detail::Param<P>::get(args)...);
}

} // namespace cleave::program

#endif // CLEAVE_RUNTIME_PROGRAMTABLE_H
