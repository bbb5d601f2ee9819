//===- OneDnnSupport.h - what the CPU kernels share -------------*- C++ -*-===//
//
// oneDNN 2.6 (the v2 API: an op descriptor, then its primitive descriptor)
// helpers of the CPU kernels: the engine, memory descriptors of plain
// tensors, primitives cached per call shape, the checks and the catch of
// oneDNN's exceptions at each C entry point.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_RUNTIME_ONEDNNSUPPORT_H
#define CLEAVE_LIB_RUNTIME_ONEDNNSUPPORT_H

#include "StatusInternal.h"
#include "cleave/Runtime/Tensor.h"
#include <cstring>
#include <dnnl.hpp>
#include <string>
#include <omp.h>
#include <unordered_map>
#include <vector>

namespace cleave::cpu {

using dnnl::memory;
using Dims = memory::dims;

inline dnnl::engine &cpuEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

/// Row-major strides of `dims` (empty axes count as 1, as oneDNN wants).
inline Dims rowMajorStrides(const Dims &dims) {
  Dims strides(dims.size(), 1);
  for (int i = (int)dims.size() - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * std::max<memory::dim>(dims[i + 1], 1);
  return strides;
}

/// A plain row-major f32 memory descriptor for `dims`.
inline memory::desc rowMajor(const Dims &dims) {
  return memory::desc(dims, memory::data_type::f32, rowMajorStrides(dims));
}

inline Dims dimsOf(const cleave_tensor *t) {
  return Dims(t->dims, t->dims + t->rank);
}

/// The descriptor of an activation of a convolution or pooling: oneDNN's
/// dims are always [N, C, spatial...]; the bytes are row-major in that
/// order, or in [N, spatial..., C] order when `channelsLast`.
inline memory::desc activationDesc(const cleave_tensor *t, bool channelsLast) {
  Dims dims = dimsOf(t);
  if (!channelsLast)
    return rowMajor(dims);
  Dims strides = rowMajorStrides(dims);
  // Axis order of the stored tensor as oneDNN sees it: N, C, spatial...
  Dims logical = {dims.front(), dims.back()},
       logicalStrides = {strides.front(), strides.back()};
  logical.insert(logical.end(), dims.begin() + 1, dims.end() - 1);
  logicalStrides.insert(logicalStrides.end(), strides.begin() + 1,
                        strides.end() - 1);
  return memory::desc(logical, memory::data_type::f32, logicalStrides);
}

/// `dims` with leading 1s up to `rank`.
inline Dims padded(Dims dims, size_t rank) {
  dims.insert(dims.begin(), rank - dims.size(), 1);
  return dims;
}

inline memory wrap(const memory::desc &desc, const cleave_tensor *t) {
  return memory(desc, cpuEngine(), const_cast<void *>(t->data));
}

/// Runs `body`, turning oneDNN and allocation errors into statuses.
template <typename Body> cleave_status guarded(const char *kernel, Body body) {
  try {
    return body();
  } catch (const dnnl::error &e) {
    return CLEAVE_ERROR(CLEAVE_INTERNAL,
                        std::string(kernel) + ": oneDNN: " + e.what());
  } catch (const std::bad_alloc &) {
    return CLEAVE_ERROR(CLEAVE_OUT_OF_MEMORY, std::string(kernel));
  }
}

inline cleave_status
checkF32(const char *kernel,
         std::initializer_list<const cleave_tensor *> tensors) {
  for (const cleave_tensor *t : tensors) {
    if (!t || !t->data)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          std::string(kernel) + ": missing tensor");
    if (t->dtype != CLEAVE_DTYPE_F32)
      return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, std::string(kernel) +
                                                  ": element type " +
                                                  cleave_dtype_name(t->dtype) +
                                                  " is not supported");
  }
  return nullptr;
}

inline std::string shapeText(const Dims &dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    text += (i ? ", " : "") + std::to_string(dims[i]);
  return text + "]";
}

/// NumPy broadcasting of two shapes into `out`; false if incompatible.
inline bool broadcast(const Dims &a, const Dims &b, Dims &out) {
  size_t rank = std::max(a.size(), b.size());
  Dims pa = padded(a, rank), pb = padded(b, rank);
  out.resize(rank);
  for (size_t i = 0; i < rank; ++i) {
    if (pa[i] != pb[i] && pa[i] != 1 && pb[i] != 1)
      return false;
    out[i] = pa[i] == 1 ? pb[i] : pa[i];
  }
  return true;
}

/// Whether oneDNN chose its reference implementation for `primitive` (one
/// element at a time, each computing its offsets anew): kernels then run
/// their own loops instead.
inline bool isReferenceKernel(const dnnl::primitive &primitive) {
  const char *impl = nullptr;
  dnnl_primitive_desc_query(primitive.get_primitive_desc(),
                            dnnl_query_impl_info_str, 0, &impl);
  return impl && std::strncmp(impl, "ref", 3) == 0;
}

/// Primitives that touch fewer bytes run on one thread: starting the
/// others costs more than the work (PyTorch's grain size plays this part).
inline constexpr size_t kSerialBytes = 64 << 10;

/// One stream per thread that runs kernels (a device program runs its ops
/// from one thread; oneDNN parallelises inside each).
/// `bytes`: the arguments' total size.
inline void execute(const dnnl::primitive &primitive,
                    const std::unordered_map<int, memory> &args, size_t bytes) {
  thread_local dnnl::stream stream(cpuEngine());
  int threads = omp_get_max_threads();
  bool serial = threads > 1 && bytes < kSerialBytes;
  if (serial)
    omp_set_num_threads(1);
  primitive.execute(stream, args);
  stream.wait();
  if (serial)
    omp_set_num_threads(threads);
}

inline size_t argumentBytes(const std::unordered_map<int, memory> &args) {
  size_t bytes = 0;
  for (const auto &entry : args)
    bytes += entry.second.get_desc().get_size();
  return bytes;
}

inline void execute(const dnnl::primitive &primitive,
                    const std::unordered_map<int, memory> &args) {
  execute(primitive, args, argumentBytes(args));
}

/// A primitive's argument over a program's tensor.
struct TensorArg {
  int arg;
  const memory::desc &desc;
  const cleave_tensor *tensor;
};

/// Runs a cached primitive (one that lives as long as the program) on the
/// tensors: its memory objects and argument map are made on its first call
/// and pointed at each later call's tensors.
inline void executeOn(const dnnl::primitive &primitive,
                      std::initializer_list<TensorArg> tensors) {
  struct Bound {
    std::unordered_map<int, memory> args;
    size_t bytes = 0;
  };
  thread_local std::unordered_map<const void *, Bound> bound;
  Bound &b = bound[primitive.get()];
  for (const TensorArg &t : tensors) {
    void *data = const_cast<void *>(t.tensor->data);
    auto it = b.args.find(t.arg);
    if (it == b.args.end()) {
      b.args.emplace(t.arg, memory(t.desc, cpuEngine(), data));
      b.bytes = argumentBytes(b.args);
    } else {
      it->second.set_data_handle(data);
    }
  }
  execute(primitive, b.args, b.bytes);
}

/// Within its scope, oneDNN runs on one thread when the arguments are
/// smaller than kSerialBytes. A plan's primitive must be made in the same
/// scope as it runs: oneDNN fixes a convolution's or a product's thread
/// count when it is made, and starts that many threads whatever the count
/// at run time (2.5 us a call for a 1x1 convolution of 16 channels on two
/// threads, against 0.5 us made and run on one).
class SerialScope {
public:
  explicit SerialScope(size_t bytes)
      : threads(omp_get_max_threads()),
        serial(threads > 1 && bytes < kSerialBytes) {
    if (serial)
      omp_set_num_threads(1);
  }
  ~SerialScope() {
    if (serial)
      omp_set_num_threads(threads);
  }
  SerialScope(const SerialScope &) = delete;
  SerialScope &operator=(const SerialScope &) = delete;

private:
  int threads;
  bool serial;
};

inline size_t
tensorBytes(std::initializer_list<const cleave_tensor *> tensors) {
  size_t bytes = 0;
  for (const cleave_tensor *t : tensors)
    if (t)
      bytes += cleave_tensor_num_bytes(t);
  return bytes;
}

/// A memory object over a program's tensor, made on a plan's first call
/// and pointed at each later call's tensor: making one allocates, which
/// costs more than a small primitive's arithmetic (as does a new argument
/// map per call; plans keep theirs too).
class BoundMemory {
public:
  const memory &at(const memory::desc &desc, const void *data) {
    if (!bound)
      bound = memory(desc, cpuEngine(), const_cast<void *>(data));
    else
      bound.set_data_handle(const_cast<void *>(data));
    return bound;
  }

private:
  memory bound;
};

/// out[i] = f(in[i], alpha, beta), inlined so the compiler vectorises it.
template <typename F>
cleave_status unaryLoop(const float *in, float *out, int64_t count, float alpha,
                        float beta, F f) {
#pragma omp parallel for if (count > 65536)
  for (int64_t i = 0; i < count; ++i)
    out[i] = f(in[i], alpha, beta);
  return nullptr;
}

/// The numbers that decide a kernel's oneDNN primitive (shapes and
/// parameters): the key of its cached plan.
using PlanKey = std::vector<int64_t>;

struct PlanKeyHash {
  size_t operator()(const PlanKey &key) const {
    size_t h = key.size();
    for (int64_t v : key)
      h ^=
          std::hash<int64_t>()(v) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
  }
};

/// Plans (primitives and their buffers) by key. A program calls each
/// kernel with the same shapes on every run, so after the first run every
/// call finds its plan here instead of building a primitive.
template <typename Plan> class PlanCache {
public:
  template <typename Make> Plan &get(const PlanKey &key, Make make) {
    auto it = plans.find(key);
    if (it == plans.end())
      it = plans.emplace(key, make()).first;
    return it->second;
  }

private:
  std::unordered_map<PlanKey, Plan, PlanKeyHash> plans;
};

/// Kernels whose primitives are cached, as the first number of their keys.
enum PlanKind : int64_t {
  kMatmul = 1,
  kGemm,
  kEltwise,
  kBinary,
  kSoftmax,
  kPool,
  kBatchNorm,
  kReduce,
  kConv,
  kLrn,
  kConvBackwardData,
  kConvBackwardWeights,
  kPoolTraining,
  kPoolBackward,
  kEltwiseBackward,
  kRecurrent
};

/// A key from a kind and any mix of numbers and dim lists.
inline PlanKey planKey(PlanKind kind, std::initializer_list<Dims> dims,
                       std::initializer_list<double> params = {}) {
  PlanKey key = {kind};
  for (const Dims &d : dims) {
    key.push_back((int64_t)d.size());
    key.insert(key.end(), d.begin(), d.end());
  }
  for (double p : params) {
    int64_t bits;
    std::memcpy(&bits, &p, sizeof bits);
    key.push_back(bits);
  }
  return key;
}

/// The primitive cached under `key`, made by `make` on first use.
template <typename Make>
const dnnl::primitive &cachedPrimitive(const PlanKey &key, Make make) {
  thread_local PlanCache<dnnl::primitive> primitives;
  return primitives.get(key, [&] { return dnnl::primitive(make()); });
}

/// [begin, end): memory that stays unchanged for the rest of the run.
inline const char *constantBegin = nullptr, *constantEnd = nullptr;

inline bool isConstant(const void *data) {
  return data >= (const void *)constantBegin &&
         data < (const void *)constantEnd;
}

inline void reorder(const memory &from, const memory &to) {
  thread_local dnnl::stream stream(cpuEngine());
  dnnl::reorder(from, to).execute(stream, const_cast<memory &>(from),
                                  const_cast<memory &>(to));
  stream.wait();
}

} // namespace cleave::cpu

#endif // CLEAVE_LIB_RUNTIME_ONEDNNSUPPORT_H
