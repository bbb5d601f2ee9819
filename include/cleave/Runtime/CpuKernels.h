/*===- CpuKernels.h - CPU kernels of the runtime --------------------*- C
 *-*-===*
 *
 * Kernels on dense row-major tensors. Operand shapes follow the ONNX operator
 * the kernel implements; the output tensor's shape and storage are given by
 * the caller (the compiler plans them). oneDNN does the heavy lifting where it
 * has the operation; the rest are plain loops.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CLEAVE_RUNTIME_CPUKERNELS_H
#define CLEAVE_RUNTIME_CPUKERNELS_H

#include "cleave/Runtime/Tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Threads the kernels may use; 0 means all cores (the default). */
void cleave_cpu_set_num_threads(int32_t threads);

/* Declares [data, data + size) unchanged for the rest of the run (the mapped
 * weights): kernels may keep derived forms of tensors in it, such as
 * convolution weights in oneDNN's blocked layout. NULL clears it. */
void cleave_cpu_set_constant_region(const void *data, int64_t size);

/* ONNX MatMul (NumPy matmul: 1-D promotion, batch broadcasting), f32. */
cleave_status cleave_cpu_matmul(const cleave_tensor *a, const cleave_tensor *b,
                                cleave_tensor *y);

typedef enum cleave_unary_op {
#define CLEAVE_UNARY_OP(NAME) CLEAVE_UNARY_##NAME,
#include "cleave/Runtime/UnaryOps.def"
} cleave_unary_op;

/* y = op(x) elementwise, f32; x and y have the same shape. */
cleave_status cleave_cpu_unary(cleave_unary_op op, float alpha, float beta,
                               const cleave_tensor *x, cleave_tensor *y);

typedef enum cleave_binary_op {
  CLEAVE_BINARY_ADD,
  CLEAVE_BINARY_SUB,
  CLEAVE_BINARY_MUL,
  CLEAVE_BINARY_DIV,
  CLEAVE_BINARY_MAX,
  CLEAVE_BINARY_MIN,
  CLEAVE_BINARY_POW,
  CLEAVE_BINARY_MOD,   /* integer Mod: the sign of the divisor */
  CLEAVE_BINARY_FMOD,  /* C fmod: the sign of the dividend */
  CLEAVE_BINARY_PRELU, /* a < 0 ? a * b : a */
  CLEAVE_BINARY_AND,
  CLEAVE_BINARY_OR,
  CLEAVE_BINARY_XOR,
} cleave_binary_op;

/* y = a op b with NumPy broadcasting; y has the broadcast shape. Any numeric
 * type (and bool for the logical ops); a, b and y share it except Pow's b.
 * y may be a or b (in place). */
cleave_status cleave_cpu_binary(cleave_binary_op op, const cleave_tensor *a,
                                const cleave_tensor *b, cleave_tensor *y);

/* ONNX ArgMax / ArgMin of f32 along `axis`; y (i64) keeps x's rank with 1
 * on that axis. Ties go to the first index, or the last with select_last. */
cleave_status cleave_cpu_arg_reduce(const cleave_tensor *x, int32_t axis,
                                    int32_t is_max, int32_t select_last,
                                    cleave_tensor *y);

/* The loop behind cleave_cpu_binary for every type (f32 add..min use
 * oneDNN). */
cleave_status cleave_cpu_binary_loop(cleave_binary_op op,
                                     const cleave_tensor *a,
                                     const cleave_tensor *b, cleave_tensor *y);

/* ONNX Softmax / LogSoftmax (opset 13) along `axis`, f32. */
cleave_status cleave_cpu_softmax(const cleave_tensor *x, int32_t axis,
                                 int32_t log, cleave_tensor *y);

/* A sliding window over the spatial axes (ONNX Conv and pooling), with
 * padding resolved by the compiler (auto_pad and ceil_mode included). */
typedef struct cleave_window {
  int32_t spatial_rank;
  int64_t kernel[CLEAVE_MAX_RANK];
  int64_t strides[CLEAVE_MAX_RANK];
  int64_t dilations[CLEAVE_MAX_RANK]; /* 1: no dilation, as in ONNX */
  int64_t pads_begin[CLEAVE_MAX_RANK];
  int64_t pads_end[CLEAVE_MAX_RANK];
  /* Non-zero: x and y are [N, spatial..., C] (conv and pooling only). */
  int32_t channels_last;
} cleave_window;

/* ONNX Conv, f32: x [N, C, spatial...] (or [N, spatial..., C], see
 * cleave_window), w [M, C/group, kernel...], optional bias b [M] (NULL for
 * none). */
cleave_status cleave_cpu_conv(const cleave_tensor *x, const cleave_tensor *w,
                              const cleave_tensor *b,
                              const cleave_window *window, int64_t group,
                              cleave_tensor *y);

/* cleave_cpu_conv with a fused epilogue: y = clip(conv + z, lo, hi), where
 * z (NULL for none) has y's shape and layout (a residual connection) and
 * infinite bounds clip nothing (a Relu is [0, inf]). */
cleave_status cleave_cpu_conv_fused(const cleave_tensor *x,
                                    const cleave_tensor *w,
                                    const cleave_tensor *b,
                                    const cleave_tensor *z,
                                    const cleave_window *window, int64_t group,
                                    float lo, float hi, cleave_tensor *y);

/* ONNX LRN, f32, x [N, C, spatial...]: y = x / (bias + alpha / size *
 * (sum of x^2 over the `size` channels around c))^beta. */
cleave_status cleave_cpu_lrn(const cleave_tensor *x, float alpha, float beta,
                             float bias, int64_t size, cleave_tensor *y);

/* ONNX Einsum on `count` inputs of a float type (f32, f64, f16, bf16),
 * `equation` as ONNX writes it ("bij,bjk->bik", "...ii->...i", "i,i"),
 * accumulated in double. */
cleave_status cleave_cpu_einsum(const char *equation,
                                const cleave_tensor *const *inputs,
                                int32_t count, cleave_tensor *y);

/* ONNX TopK along `axis`: the k largest (or smallest) values and their i64
 * indices, sorted; ties go to the lower index. Any numeric element type. */
cleave_status cleave_cpu_top_k(const cleave_tensor *x, int32_t axis,
                               int32_t largest, cleave_tensor *values,
                               cleave_tensor *indices);

/* ONNX ConvTranspose, f32: x [N, C, spatial...], w [C, M/group, kernel...],
 * optional bias [M]. Only the window's pads_begin is read: y's shape fixes
 * the rest (output_padding, output_shape). */
cleave_status cleave_cpu_conv_transpose(const cleave_tensor *x,
                                        const cleave_tensor *w,
                                        const cleave_tensor *b,
                                        const cleave_window *window,
                                        int64_t group, cleave_tensor *y);

/* ONNX InstanceNormalization, f32: per sample and channel over the spatial
 * axes, then scale[c] and bias[c]. */
cleave_status cleave_cpu_instance_norm(const cleave_tensor *x,
                                       const cleave_tensor *scale,
                                       const cleave_tensor *bias, float epsilon,
                                       cleave_tensor *y);

/* ONNX Not on bool. */
cleave_status cleave_cpu_not(const cleave_tensor *x, cleave_tensor *y);

typedef enum cleave_pool_kind {
  CLEAVE_POOL_MAX,
  CLEAVE_POOL_AVG_INCLUDE_PAD,
  CLEAVE_POOL_AVG_EXCLUDE_PAD,
} cleave_pool_kind;

/* ONNX MaxPool / AveragePool / Global*Pool (a window of the whole spatial
 * extent), f32. */
cleave_status cleave_cpu_pool(cleave_pool_kind kind, const cleave_tensor *x,
                              const cleave_window *window, cleave_tensor *y);

/* ONNX BatchNormalization in inference mode, f32: per channel (axis 1),
 * y = scale * (x - mean) / sqrt(var + epsilon) + bias. */
cleave_status cleave_cpu_batch_norm(const cleave_tensor *x,
                                    const cleave_tensor *scale,
                                    const cleave_tensor *bias,
                                    const cleave_tensor *mean,
                                    const cleave_tensor *var, float epsilon,
                                    cleave_tensor *y);

/* ONNX Gemm, f32: y = alpha * op(a) @ op(b) + beta * c, where op transposes
 * when asked and c (NULL for none) broadcasts to y. */
cleave_status cleave_cpu_gemm(const cleave_tensor *a, const cleave_tensor *b,
                              const cleave_tensor *c, float alpha, float beta,
                              int32_t trans_a, int32_t trans_b,
                              cleave_tensor *y);

typedef enum cleave_reduce_op {
  CLEAVE_REDUCE_SUM,
  CLEAVE_REDUCE_MEAN,
  CLEAVE_REDUCE_MAX,
  CLEAVE_REDUCE_MIN,
  CLEAVE_REDUCE_PROD,
  CLEAVE_REDUCE_L2,
  CLEAVE_REDUCE_SUM_SQUARE,
  CLEAVE_REDUCE_LOG_SUM_EXP,
} cleave_reduce_op;

/* ONNX Reduce* over the axes where y (given with x's rank, keepdims) has
 * size 1 and x does not; any numeric type (oneDNN for f32). */
cleave_status cleave_cpu_reduce(cleave_reduce_op op, const cleave_tensor *x,
                                cleave_tensor *y);

/* The loop behind cleave_cpu_reduce, for every numeric type. */
cleave_status cleave_cpu_reduce_loop(cleave_reduce_op op,
                                     const cleave_tensor *x, cleave_tensor *y);

/* ONNX Transpose: y's axis i is x's axis perm[i]. Any element type. */
cleave_status cleave_cpu_transpose(const cleave_tensor *x, const int64_t *perm,
                                   cleave_tensor *y);

/* ONNX Concat of `count` tensors along `axis` (normalised). Any element
 * type. */
cleave_status cleave_cpu_concat(const cleave_tensor *const *inputs,
                                int32_t count, int32_t axis, cleave_tensor *y);

/* ONNX LayerNormalization (Y only), f32: normalises over axes >= axis, then
 * scales and shifts (bias may be NULL). */
cleave_status cleave_cpu_layer_norm(const cleave_tensor *x,
                                    const cleave_tensor *scale,
                                    const cleave_tensor *bias, int32_t axis,
                                    float epsilon, cleave_tensor *y);

/* Data movement; any element type (x and y share it). */

/* y = x[starts[i] + k * steps[i] along every axis i]; y's shape gives the
 * counts (the compiler clamps starts as ONNX Slice says). */
cleave_status cleave_cpu_slice(const cleave_tensor *x, const int64_t *starts,
                               const int64_t *steps, cleave_tensor *y);

/* ONNX Gather along `axis`; indices are i32 or i64, negative ones count
 * from the end, out-of-range ones are an error. */
cleave_status cleave_cpu_gather(const cleave_tensor *data,
                                const cleave_tensor *indices, int32_t axis,
                                cleave_tensor *y);

/* ONNX Expand: x broadcast (NumPy rules) to y's shape. */
cleave_status cleave_cpu_expand(const cleave_tensor *x, cleave_tensor *y);

/* ONNX Tile: y[i] = x[i mod x's shape]. */
cleave_status cleave_cpu_tile(const cleave_tensor *x, cleave_tensor *y);

/* ONNX Where with NumPy broadcasting; the condition is bool. */
cleave_status cleave_cpu_where(const cleave_tensor *condition,
                               const cleave_tensor *x, const cleave_tensor *y,
                               cleave_tensor *out);

typedef enum cleave_pad_mode {
  CLEAVE_PAD_CONSTANT,
  CLEAVE_PAD_EDGE,
  CLEAVE_PAD_REFLECT,
} cleave_pad_mode;

/* ONNX Pad with `begin[i]` elements before axis i (y's shape gives the
 * rest; negative pads crop). `value` fills constant padding. */
cleave_status cleave_cpu_pad(const cleave_tensor *x, const int64_t *begin,
                             cleave_pad_mode mode, double value,
                             cleave_tensor *y);

/* ONNX Cast between the numeric types and bool (float to integer truncates
 * toward zero). */
cleave_status cleave_cpu_cast(const cleave_tensor *x, cleave_tensor *y);

typedef enum cleave_compare_op {
  CLEAVE_COMPARE_EQUAL,
  CLEAVE_COMPARE_LESS,
  CLEAVE_COMPARE_LESS_OR_EQUAL,
  CLEAVE_COMPARE_GREATER,
  CLEAVE_COMPARE_GREATER_OR_EQUAL,
} cleave_compare_op;

/* ONNX Equal/Less/...: a and b of one numeric type, broadcast; y is bool. */
cleave_status cleave_cpu_compare(cleave_compare_op op, const cleave_tensor *a,
                                 const cleave_tensor *b, cleave_tensor *y);

/* ONNX GatherElements along `axis`: y[i] = data[i with axis i replaced by
 * indices[i]]; y has the indices' shape. Any element type. */
cleave_status cleave_cpu_gather_elements(const cleave_tensor *data,
                                         const cleave_tensor *indices,
                                         int32_t axis, cleave_tensor *y);

/* ONNX Trilu on the last two axes: keep j - i >= k (upper) or j - i <= k
 * (lower), zero the rest. Any element type. */
cleave_status cleave_cpu_trilu(const cleave_tensor *x, int64_t k, int32_t upper,
                               cleave_tensor *y);

/* ONNX CumSum along `axis`, optionally exclusive and/or reversed; f32, f64,
 * i32 or i64. */
cleave_status cleave_cpu_cumsum(const cleave_tensor *x, int32_t axis,
                                int32_t exclusive, int32_t reverse,
                                cleave_tensor *y);

/* LayerNormalization that also writes the per-row Mean and InvStdDev (each
 * may be NULL; one f32 value per normalised row). */
cleave_status cleave_cpu_layer_norm_stats(const cleave_tensor *x,
                                          const cleave_tensor *scale,
                                          const cleave_tensor *bias,
                                          int32_t axis, float epsilon,
                                          cleave_tensor *y, cleave_tensor *mean,
                                          cleave_tensor *inv_std_dev);

typedef enum cleave_resize_coordinates {
  CLEAVE_RESIZE_HALF_PIXEL,
  CLEAVE_RESIZE_PYTORCH_HALF_PIXEL,
  CLEAVE_RESIZE_ALIGN_CORNERS,
  CLEAVE_RESIZE_ASYMMETRIC,
  CLEAVE_RESIZE_TF_HALF_PIXEL_FOR_NN,
} cleave_resize_coordinates;

typedef enum cleave_resize_nearest {
  CLEAVE_NEAREST_ROUND_PREFER_FLOOR,
  CLEAVE_NEAREST_ROUND_PREFER_CEIL,
  CLEAVE_NEAREST_FLOOR,
  CLEAVE_NEAREST_CEIL,
} cleave_resize_nearest;

/* ONNX Resize, f32, mode nearest (linear = 0) or (multi)linear (linear = 1)
 * on every axis, with one scale per axis (output / input unless given). */
cleave_status cleave_cpu_resize(const cleave_tensor *x, const float *scales,
                                int32_t linear,
                                cleave_resize_coordinates coordinates,
                                cleave_resize_nearest nearest,
                                cleave_tensor *y);

/* ONNX Resize, f32, mode cubic: Keys' kernel with coefficient cubic_a;
 * with exclude_outside, taps past the edges get no weight and the others
 * are renormalised (else they read the edge). */
cleave_status cleave_cpu_resize_cubic(const cleave_tensor *x,
                                      const float *scales,
                                      cleave_resize_coordinates coordinates,
                                      float cubic_a, int32_t exclude_outside,
                                      cleave_tensor *y);

/* Copies x's bytes into y (same number of bytes; shapes may differ, as in a
 * reshape that could not share its buffer). */
cleave_status cleave_cpu_copy(const cleave_tensor *x, cleave_tensor *y);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CLEAVE_RUNTIME_CPUKERNELS_H */
