/*===- KernelTypes.h - the enums and window the kernels take --------*- C -*-===*
 *
 * The argument types of the kernels in Kernels.def, shared by both
 * runtimes and by the generated programs. The enums are part of the C ABI
 * of compiled bundles: append enumerators, never insert them.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CLEAVE_RUNTIME_KERNELTYPES_H
#define CLEAVE_RUNTIME_KERNELTYPES_H

#include "cleave/Runtime/Tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cleave_unary_op {
#define CLEAVE_UNARY_OP(NAME) CLEAVE_UNARY_##NAME,
#include "cleave/Runtime/UnaryOps.def"
} cleave_unary_op;

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
  CLEAVE_BINARY_SHIFT_LEFT,  /* unsigned integers; a shift past the width is 0 */
  CLEAVE_BINARY_SHIFT_RIGHT,
} cleave_binary_op;

typedef enum cleave_compare_op {
  CLEAVE_COMPARE_EQUAL,
  CLEAVE_COMPARE_LESS,
  CLEAVE_COMPARE_LESS_OR_EQUAL,
  CLEAVE_COMPARE_GREATER,
  CLEAVE_COMPARE_GREATER_OR_EQUAL,
} cleave_compare_op;

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

typedef enum cleave_pool_kind {
  CLEAVE_POOL_MAX,
  CLEAVE_POOL_AVG_INCLUDE_PAD,
  CLEAVE_POOL_AVG_EXCLUDE_PAD,
} cleave_pool_kind;

typedef enum cleave_pad_mode {
  CLEAVE_PAD_CONSTANT,
  CLEAVE_PAD_EDGE,
  CLEAVE_PAD_REFLECT,
} cleave_pad_mode;

/* ScatterND / ScatterElements: how an update meets the element it lands on
 * (NONE replaces it). */
typedef enum cleave_scatter_reduction {
  CLEAVE_SCATTER_NONE,
  CLEAVE_SCATTER_ADD,
  CLEAVE_SCATTER_MUL,
  CLEAVE_SCATTER_MAX,
  CLEAVE_SCATTER_MIN,
} cleave_scatter_reduction;

typedef enum cleave_resize_coordinates {
  CLEAVE_RESIZE_HALF_PIXEL,
  CLEAVE_RESIZE_PYTORCH_HALF_PIXEL,
  CLEAVE_RESIZE_ALIGN_CORNERS,
  CLEAVE_RESIZE_ASYMMETRIC,
  CLEAVE_RESIZE_TF_HALF_PIXEL_FOR_NN,
  /* resize_crop only: the region of interest, stretched to the output. */
  CLEAVE_RESIZE_TF_CROP_AND_RESIZE,
} cleave_resize_coordinates;

typedef enum cleave_resize_nearest {
  CLEAVE_NEAREST_ROUND_PREFER_FLOOR,
  CLEAVE_NEAREST_ROUND_PREFER_CEIL,
  CLEAVE_NEAREST_FLOOR,
  CLEAVE_NEAREST_CEIL,
} cleave_resize_nearest;

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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CLEAVE_RUNTIME_KERNELTYPES_H */
