//===- CostInterface.td - what an op costs to run -------------*- tablegen -*-===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_COSTINTERFACE_TD
#define CLEAVE_DIALECT_CLEAVE_IR_COSTINTERFACE_TD

include "mlir/IR/OpBase.td"

def Cleave_CostOpInterface : OpInterface<"CostOpInterface"> {
  let cppNamespace = "::cleave::graph";
  let description = [{
    The work an op does, independent of any device: its floating-point (or
    integer) operations, the bytes it reads and writes, and the bytes of
    weights (constants) among what it reads. The cost model turns this into
    a time on a device (a roofline plus the launch overhead); placement
    passes read it through this interface, so ops of other dialects can be
    placed by attaching it as an external model.

    Op families set their kind and arithmetic in ODS (Cleave_CostKind,
    Cleave_FlopsPerElement, or a getFlops of their own); the defaults
    follow the op's traits: views and data movement compute nothing, other
    ops one operation per element they read or write.
  }];
  let methods = [
    InterfaceMethod<[{
        The kind of kernel that runs it, for per-kind efficiencies:
        "matmul", "conv", "dwconv" (grouped), "conv_grad" (a convolution's
        backward data or weights), "pool", "norm", "softmax", "eltwise",
        "data" or "reduce".
      }], "::llvm::StringRef", "getCostKind", (ins), [{}],
      [{ return ::cleave::graph::defaultCostKind($_op.getOperation()); }]>,
    InterfaceMethod<"Arithmetic operations (a multiply-add counts two).",
      "double", "getFlops", (ins), [{}],
      [{ return ::cleave::graph::defaultFlops($_op.getOperation()); }]>,
    InterfaceMethod<[{
        For a collective over the replicas of its device: what each replica
        sends over the link between replicas, by a ring algorithm over the
        function's `cleave.replicas` (none for every other op, and with one
        replica).
      }], "::cleave::graph::LinkTraffic", "getLinkTraffic", (ins), [{}],
      [{ return {}; }]>,
    InterfaceMethod<"The op's work.", "::cleave::graph::OpCost", "getCost",
      (ins), [{}],
      [{ return ::cleave::graph::estimateCost($_op.getOperation(),
                                              $_op.getCostKind(),
                                              $_op.getFlops()); }]>,
  ];
}

#endif // CLEAVE_DIALECT_CLEAVE_IR_COSTINTERFACE_TD
