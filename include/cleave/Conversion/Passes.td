//===- Passes.td - conversions out of the cleave dialect ------*- tablegen -*-===//

#ifndef CLEAVE_CONVERSION_PASSES_TD
#define CLEAVE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertCleaveToRuntimePass
    : Pass<"convert-cleave-to-runtime", "::mlir::ModuleOp"> {
  let summary = "Lower planned cleave functions to runtime programs";
  let description = [{
    Each `func.func` whose ops carry a memory plan (cleave-plan-memory) and
    whose constants carry weight offsets (cleave-layout-weights) becomes a
    `cleave_rt.program`: a view for every value (arena, weights file, or
    the caller's inputs and outputs) and the runtime kernel calls of each
    op in order, made by one lowering per op family (elementwise, linear,
    window, normalization, reduction, data movement, transfers). Ops with no
    CPU kernel yet are reported by name and ONNX node.
  }];
  let dependentDialects = ["::cleave::rt::CleaveRtDialect"];
}

def ConvertRuntimeToEmitCPass
    : Pass<"convert-cleave-runtime-to-emitc", "::mlir::ModuleOp"> {
  let summary = "Lower runtime programs to EmitC";
  let description = [{
    Each `cleave_rt.program` becomes an `emitc.func
    @cleave_run_<name>(arena, weights, inputs, outputs)` that makes its views
    with the runtime's view helpers and calls the runtime kernel
    `<kernels><callee>` of each kernel op through `cleave::program::call`
    (which checks each argument against the kernel's declaration), returning
    the first failing status; transfers call `<entry>transport_send`,
    `_recv` and `_wait_sends`. The calls go in parts of at most
    `calls-per-function` (static functions `cleave_run_<name>_<k>` that
    `cleave_run_<name>` calls in turn), each making the views it uses: a C++
    compiler's optimizer is superlinear in a function's size. Then the table
    of its inputs and outputs and
    a `main` that hands it to `<entry>device_main` (or
    `<entry>transport_device_main` for a device of a multi-device bundle).
  }];
  let options = [
    Option<"header", "header", "std::string",
           /*default=*/"\"cleave/Runtime/Program.h\"",
           "The runtime header the programs include">,
    Option<"kernels", "kernels", "std::string", /*default=*/"\"cleave_cpu_\"",
           "The prefix of the runtime's kernels (Kernels.def)">,
    Option<"entry", "entry", "std::string", /*default=*/"\"cleave_\"",
           "The prefix of the device main the program's main calls and of "
           "the transport">,
    Option<"entryArgs", "entry-args", "std::string", /*default=*/"\"\"",
           "Extra arguments of that device main (C++ text)">,
    Option<"filePerProgram", "file-per-program", "bool", /*default=*/"false",
           "Put each program (its include, function, table and main) in an "
           "emitc.file named after it">,
    Option<"callsPerFunction", "calls-per-function", "int64_t",
           /*default=*/"100",
           "The most calls of one C++ function">,
  ];
  let dependentDialects = ["::mlir::emitc::EmitCDialect"];
}

def ConvertCleaveToEmitCPass
    : Pass<"convert-cleave-to-emitc", "::mlir::ModuleOp"> {
  let summary = "Lower planned cleave functions to C++ for a runtime";
  let description = [{
    convert-cleave-to-runtime, then convert-cleave-runtime-to-emitc with the
    header and device main of the `target`'s runtime: cpu (Program.h,
    cleave_device_main) or cuda (CudaProgram.h, cleave_cuda_device_main at
    the `precision`).
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"cpu\"",
           "The runtime the code calls: cpu (Program.h) or cuda "
           "(CudaProgram.h, device memory)">,
    Option<"precision", "precision", "std::string", /*default=*/"\"fp32\"",
           "cuda: what matrix products and convolutions compute in (fp32, "
           "tf32, fp16, bf16)">,
    Option<"filePerFunction", "file-per-function", "bool", /*default=*/"false",
           "Put each function's program (its include, function, table and "
           "main) in an emitc.file named after the function, so that one "
           "module holds every device's source">,
  ];
  let dependentDialects = ["::mlir::emitc::EmitCDialect",
                           "::cleave::rt::CleaveRtDialect"];
}

#endif // CLEAVE_CONVERSION_PASSES_TD
