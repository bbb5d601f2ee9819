/*===- BundleFormat.h - the bundle folder the compiler writes ---*- C -*-===*
 *
 * The runtime owns the bundle format; the compiler writes it. A bundle is
 * a folder holding manifest.json and, per device k, device_k (executable),
 * its source and device_k.weights (see Weights.h). The manifest (JSON):
 *
 *   format_version  CLEAVE_BUNDLE_FORMAT_VERSION
 *   model           the model's file name without extension
 *   target          "cpu", "cuda", ...: the target that built the devices
 *   transport       "none" (one device), "mpi", "nccl"
 *   precision       what products and convolutions compute in (fp32, ...)
 *   devices         [{index, kind, executable, source, weights,
 *                     arena_bytes, weights_bytes, inputs, outputs,
 *                     predicted_ms (when placed), variables (training:
 *                     [{name, offset, dtype, shape}] in the weights)}],
 *                    in rank order
 *   inputs, outputs [{name, dtype, shape}] of the whole model
 *   model_file      (training) the copy of the ONNX model compiled, into
 *                   which cleave-export-onnx writes the trained weights
 *
 * Bump the version on any change an older cleave-run cannot read.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CLEAVE_RUNTIME_BUNDLEFORMAT_H
#define CLEAVE_RUNTIME_BUNDLEFORMAT_H

#define CLEAVE_BUNDLE_FORMAT_VERSION 1
#define CLEAVE_BUNDLE_MANIFEST "manifest.json"
#define CLEAVE_BUNDLE_MODEL "model.onnx"

#endif /* CLEAVE_RUNTIME_BUNDLEFORMAT_H */
