//===- ModelSummary.cpp - a per-op summary of an imported model -----------===//

#include "ModelSummary.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/Format.h"

using namespace mlir;

namespace cleave {

void printModelSummary(ModuleOp module, llvm::raw_ostream &os) {
  for (auto function : module.getOps<func::FuncOp>()) {
    os << "function @" << function.getName() << "\n";
    for (unsigned i = 0; i < function.getNumArguments(); ++i) {
      auto name = function.getArgAttrOfType<StringAttr>(
          i, graph::CleaveDialect::kNameAttr);
      os << "  input  " << (name ? name.getValue() : "?") << ": "
         << function.getArgument(i).getType() << "\n";
    }
    for (unsigned i = 0; i < function.getNumResults(); ++i) {
      auto name = function.getResultAttrOfType<StringAttr>(
          i, graph::CleaveDialect::kNameAttr);
      os << "  output " << (name ? name.getValue() : "?") << ": "
         << function.getResultTypes()[i] << "\n";
    }
    llvm::MapVector<StringRef, int64_t> counts;
    int64_t ops = 0, weights = 0, weightBytes = 0;
    function.walk([&](Operation *op) {
      if (isa<func::FuncOp, func::ReturnOp, graph::NoneOp>(op))
        return;
      if (auto constant = dyn_cast<graph::ConstantOp>(op)) {
        auto type = cast<ShapedType>(constant.getType());
        ++weights;
        unsigned bits = type.getElementTypeBitWidth();
        weightBytes += type.getNumElements() * std::max(bits / 8, 1u);
        return;
      }
      ++counts[op->getName().getStringRef()];
      ++ops;
    });
    SmallVector<std::pair<StringRef, int64_t>> sorted(counts.begin(),
                                                      counts.end());
    llvm::stable_sort(sorted, [](const auto &a, const auto &b) {
      return a.second > b.second;
    });
    os << "  " << ops << " ops, " << weights << " constants ("
       << llvm::format("%.2f", weightBytes / 1e6) << " MB)\n";
    for (auto [name, count] : sorted)
      os << llvm::format("  %8lld  ", (long long)count) << name << "\n";
  }
}

} // namespace cleave
