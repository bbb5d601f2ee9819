//===- Passes.td - conversions out of the cleave dialect ------*- tablegen -*-===//

#ifndef CLEAVE_CONVERSION_PASSES_TD
#define CLEAVE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertCleaveToEmitCPass
    : Pass<"convert-cleave-to-emitc", "::mlir::ModuleOp"> {
  let summary = "Lower planned cleave functions to calls of the runtime";
  let description = [{
    Each `func.func` whose ops carry a memory plan (cleave-plan-memory) and
    whose constants carry weight offsets (cleave-layout-weights) becomes an
    `emitc.func @cleave_run_<name>(arena, weights, inputs, outputs)` that
    makes a tensor view for every value (arena, weights file, or the
    caller's inputs) and calls one runtime kernel per op, returning the
    first failing status. An `emitc.verbatim` table describes the inputs and
    outputs, and a `main` hands everything to `cleave_device_main`. Ops with
    no CPU kernel yet are reported by name and ONNX node.
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
           "module holds every device's source (emit one with --file-id)">,
  ];
  let dependentDialects = ["::mlir::emitc::EmitCDialect"];
}

#endif // CLEAVE_CONVERSION_PASSES_TD
