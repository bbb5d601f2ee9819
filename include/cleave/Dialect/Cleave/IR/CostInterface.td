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
  }];
  let methods = [
    InterfaceMethod<"The op's work.", "::cleave::graph::OpCost", "getCost",
      (ins), [{}],
      [{ return ::cleave::graph::estimateCost($_op.getOperation()); }]>,
  ];
}

#endif // CLEAVE_DIALECT_CLEAVE_IR_COSTINTERFACE_TD
