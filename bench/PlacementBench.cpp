//===- PlacementBench.cpp - partition quality and placement speed --------===//
//
//   cleave-placement-bench [--models <test/models>] [--machine h100-sxm-x8]
//
// Partition quality: for each real model (batch 8) and a GPT-style LM with a
// large vocabulary (built in IR: heavy embedding and LM head), on 2, 4 and 8
// devices of the machine, the predicted pipeline bottleneck of Cleave's
// placement (the exact DP) beside two baselines on the same cost model:
// - uniform: equal op counts per stage, as torch pipelining and DeepSpeed's
//   'uniform' split layers;
// - parameters: equal weight bytes per stage, as DeepSpeed's 'parameters';
// and the lower bound total compute / k. Throughput ratios are
// baseline bottleneck / Cleave bottleneck (above 1: Cleave is faster).
//
// Placement speed: a generated graph of 10,200 ops placed on 8 devices,
// timed from the IR to the plan.
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Cleave/Transforms/Placement.h"
#include "cleave/Import/ONNX/Importer.h"
#include "cleave/InitAll.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include <chrono>

using namespace mlir;
using namespace cleave::analysis;
namespace cl = llvm::cl;

namespace {

cl::opt<std::string> modelsDir("models", cl::desc("The real-model folder"),
                               cl::init(CLEAVE_MODELS_DIR));
cl::opt<std::string> machineName("machine", cl::desc("Machine preset or file"),
                                 cl::init("h100-sxm-x8"));

/// A GPT-style LM as IR text: embedding, `layers` pre-LN blocks (QKV and
/// output projections, attention over the sequence, a 4x GELU MLP), final
/// LayerNorm and an untied LM head. Weights are splat constants (cheap at
/// any size; only their types matter to the cost model).
std::string gptText(int64_t vocab, int64_t d, int64_t layers, int64_t batch,
                    int64_t seq) {
  std::string t = llvm::formatv("tensor<{0}x{1}x{2}xf32>", batch, seq, d);
  std::string s = llvm::formatv("tensor<{0}x{1}x{1}xf32>", batch, seq);
  std::string stats = llvm::formatv("tensor<{0}x{1}x1xf32>", batch, seq);
  std::string h = llvm::formatv("tensor<{0}x{1}x{2}xf32>", batch, seq, 4 * d);
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("func.func @main(%ids: tensor<{0}x{1}xi64>) -> "
                      "tensor<{0}x{1}x{2}xf32> {{\n",
                      batch, seq, vocab);
  os << "  %none = cleave.none\n";
  os << llvm::formatv("  %emb = cleave.constant dense<0.01> : "
                      "tensor<{0}x{1}xf32>\n",
                      vocab, d);
  os << llvm::formatv("  %x0 = cleave.gather %emb, %ids : (tensor<{0}x{1}xf32>"
                      ", tensor<{2}x{3}xi64>) -> {4} loc(\"embedding\")\n",
                      vocab, d, batch, seq, t);
  auto weight = [&](const std::string &name, int64_t rows, int64_t cols) {
    os << llvm::formatv("  %{0} = cleave.constant dense<0.01> : "
                        "tensor<{1}x{2}xf32>\n",
                        name, rows, cols);
  };
  auto layerNorm = [&](const std::string &out, const std::string &in,
                       const std::string &name) {
    os << llvm::formatv("  %{0}:3 = cleave.layer_normalization %{1}, %g, "
                        "%none : ({2}, tensor<{3}xf32>, none) -> ({2}, {4}, "
                        "{4}) loc(\"{5}\")\n",
                        out, in, t, d, stats, name);
  };
  auto matmul = [&](const std::string &out, const std::string &a,
                    const std::string &b, const std::string &aType,
                    const std::string &bType, const std::string &outType,
                    const std::string &name) {
    os << llvm::formatv("  %{0} = cleave.matmul %{1}, %{2} : ({3}, {4}) -> "
                        "{5} loc(\"{6}\")\n",
                        out, a, b, aType, bType, outType, name);
  };
  os << llvm::formatv("  %g = cleave.constant dense<1.0> : tensor<{0}xf32>\n",
                      d);
  std::string x = "x0";
  for (int64_t l = 0; l < layers; ++l) {
    std::string p = "l" + std::to_string(l) + "_";
    auto w = [&](const char *n) { return p + n; };
    std::string dd = llvm::formatv("tensor<{0}x{0}xf32>", d);
    for (const char *n : {"wq", "wk", "wv", "wo"})
      weight(w(n), d, d);
    weight(w("w1"), d, 4 * d);
    weight(w("w2"), 4 * d, d);
    layerNorm(w("ln1"), x, w("ln1"));
    std::string ln1 = w("ln1") + "#0";
    matmul(w("q"), ln1, w("wq"), t, dd, t, w("q"));
    matmul(w("k"), ln1, w("wk"), t, dd, t, w("k"));
    matmul(w("v"), ln1, w("wv"), t, dd, t, w("v"));
    std::string kt = llvm::formatv("tensor<{0}x{1}x{2}xf32>", batch, d, seq);
    os << llvm::formatv("  %{0} = cleave.transpose %{1} {{perm = array<i64: "
                        "0, 2, 1>} : ({2}) -> {3} loc(\"{0}\")\n",
                        w("kt"), w("k"), t, kt);
    matmul(w("scores"), w("q"), w("kt"), t, kt, s, w("scores"));
    os << llvm::formatv("  %{0} = cleave.softmax %{1} : ({2}) -> {2} "
                        "loc(\"{0}\")\n",
                        w("probs"), w("scores"), s);
    matmul(w("ctx"), w("probs"), w("v"), s, t, t, w("ctx"));
    matmul(w("o"), w("ctx"), w("wo"), t, dd, t, w("o"));
    os << llvm::formatv("  %{0} = cleave.add %{1}, %{2} : ({3}, {3}) -> {3} "
                        "loc(\"{0}\")\n",
                        w("res1"), x, w("o"), t);
    layerNorm(w("ln2"), w("res1"), w("ln2"));
    std::string d4 = llvm::formatv("tensor<{0}x{1}xf32>", d, 4 * d);
    std::string d4t = llvm::formatv("tensor<{0}x{1}xf32>", 4 * d, d);
    matmul(w("h"), w("ln2") + "#0", w("w1"), t, d4, h, w("h"));
    os << llvm::formatv("  %{0} = cleave.gelu %{1} : ({2}) -> {2} "
                        "loc(\"{0}\")\n",
                        w("act"), w("h"), h);
    matmul(w("m"), w("act"), w("w2"), h, d4t, t, w("m"));
    os << llvm::formatv("  %{0} = cleave.add %{1}, %{2} : ({3}, {3}) -> {3} "
                        "loc(\"{0}\")\n",
                        w("res2"), w("res1"), w("m"), t);
    x = w("res2");
  }
  layerNorm("lnf", x, "ln_f");
  weight("head", d, vocab);
  std::string logits =
      llvm::formatv("tensor<{0}x{1}x{2}xf32>", batch, seq, vocab);
  matmul("logits", "lnf#0", "head", t,
         llvm::formatv("tensor<{0}x{1}xf32>", d, vocab), logits, "lm_head");
  os << "  return %logits : " << logits << "\n}\n";
  return text;
}

/// A chain of 3,400 (MatMul, Add, Relu) triples: 10,200 ops to place.
std::string chainText(int64_t triples) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "func.func @main(%x: tensor<16x256xf32>) -> tensor<16x256xf32> {\n"
        "  %w = cleave.constant dense<0.01> : tensor<256x256xf32>\n"
        "  %b = cleave.constant dense<0.01> : tensor<256xf32>\n";
  std::string v = "x";
  for (int64_t i = 0; i < triples; ++i) {
    os << llvm::formatv(
        "  %m{0} = cleave.matmul %{1}, %w : (tensor<16x256xf32>, "
        "tensor<256x256xf32>) -> tensor<16x256xf32> loc(\"m{0}\")\n"
        "  %a{0} = cleave.add %m{0}, %b : (tensor<16x256xf32>, "
        "tensor<256xf32>) -> tensor<16x256xf32> loc(\"a{0}\")\n"
        "  %r{0} = cleave.relu %a{0} : (tensor<16x256xf32>) -> "
        "tensor<16x256xf32> loc(\"r{0}\")\n",
        i, v);
    v = "r" + std::to_string(i);
  }
  os << "  return %" << v << " : tensor<16x256xf32>\n}\n";
  return text;
}

/// Equal-size stages by `weight` of each op (op count or weight bytes):
/// stage j ends where the prefix passes (j + 1) / k of the total.
std::vector<size_t> balancedCuts(const std::vector<double> &weight,
                                 size_t k) {
  double total = 0;
  for (double w : weight)
    total += w;
  std::vector<size_t> cuts;
  double prefix = 0;
  for (size_t i = 0; i + 1 < weight.size() && cuts.size() + 1 < k; ++i) {
    prefix += weight[i];
    if (prefix >= total * (cuts.size() + 1) / k)
      cuts.push_back(i + 1);
  }
  return cuts;
}

std::string bottleneck(const PipelineProblem &problem,
                       const std::vector<size_t> &cuts, double *seconds) {
  std::vector<size_t> devices;
  for (size_t d = 0; d <= cuts.size(); ++d)
    devices.push_back(d);
  llvm::Expected<PipelinePlan> plan = evaluatePipeline(problem, cuts, devices);
  if (!plan) {
    llvm::consumeError(plan.takeError());
    *seconds = 0;
    return "no fit";
  }
  *seconds = plan->bottleneckSeconds;
  return llvm::formatv("{0:f3}", plan->bottleneckSeconds * 1e3).str();
}

void qualityRows(llvm::StringRef name, func::FuncOp function,
                 const Machine &machine) {
  for (size_t k : {2, 4, 8}) {
    cleave::graph::PlacementProblem problem =
        cleave::graph::buildPlacementProblem(function,
                                             firstDevices(machine, k));
    const PipelineProblem &p = problem.pipeline;
    llvm::Expected<PipelinePlan> plan = planPipeline(p);
    if (!plan) {
      llvm::outs() << llvm::formatv("{0,-16} {1,2}  {2}\n", name, k,
                                    llvm::toString(plan.takeError()));
      continue;
    }
    std::vector<double> ones(p.weightBytes.size(), 1.0), params;
    double total = 0;
    for (size_t i = 0; i < p.weightBytes.size(); ++i) {
      params.push_back((double)p.weightBytes[i]);
      total += p.seconds[i][0];
    }
    double uniform = 0, byParams = 0;
    std::string uniformText = bottleneck(p, balancedCuts(ones, k), &uniform);
    std::string paramsText = bottleneck(p, balancedCuts(params, k), &byParams);
    double cleaveS = plan->bottleneckSeconds, bound = total / k;
    auto ratio = [&](double baseline) {
      return baseline > 0 ? llvm::formatv("{0:f2}", baseline / cleaveS).str()
                          : std::string("-");
    };
    llvm::outs() << llvm::formatv(
        "{0,-16} {1,2} {2,5} {3,11:f3} {4,11} {5,11} {6,9} {7,9} {8,9:f3}\n",
        name, k, plan->stages.size(), cleaveS * 1e3, uniformText, paramsText,
        ratio(uniform), ratio(byParams), cleaveS / bound);
  }
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "Cleave placement benchmark\n");
  DialectRegistry registry;
  cleave::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::Expected<Machine> machine = loadMachine(machineName);
  if (!machine) {
    llvm::errs() << llvm::toString(machine.takeError()) << "\n";
    return 1;
  }

  llvm::outs() << "partition quality on " << machine->name
               << " (predicted bottleneck per batch of 8; ratios are "
                  "throughput against Cleave's)\n";
  llvm::outs() << llvm::formatv(
      "{0,-16} {1,2} {2,5} {3,11} {4,11} {5,11} {6,9} {7,9} {8,9}\n", "model",
      "k", "used", "cleave ms", "uniform ms", "params ms", "vs unif.",
      "vs param", "/ bound");
  for (const char *name : {"gpt2_lm", "bert_encoder", "vit", "resnet50",
                           "mobilenet_v2", "inception"}) {
    llvm::SmallString<256> path(modelsDir);
    llvm::sys::path::append(path, std::string(name) + ".onnx");
    cleave::onnx_import::ImportOptions options;
    options.dimSizes["batch"] = 8;
    OwningOpRef<ModuleOp> module =
        cleave::onnx_import::importOnnxFile(path, context, options);
    if (!module)
      return 1;
    qualityRows(name, *module->getOps<func::FuncOp>().begin(), *machine);
  }
  {
    // GPT-2 small's shape: 50,257-token vocabulary, 768 wide, 12 layers.
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(
        gptText(50257, 768, 12, 8, 512), &context);
    if (!module)
      return 1;
    qualityRows("gpt-large-vocab", *module->getOps<func::FuncOp>().begin(),
                *machine);
  }

  OwningOpRef<ModuleOp> chain =
      parseSourceString<ModuleOp>(chainText(3400), &context);
  if (!chain)
    return 1;
  func::FuncOp function = *chain->getOps<func::FuncOp>().begin();
  Machine eight = firstDevices(*machine, 8);
  auto start = std::chrono::steady_clock::now();
  cleave::graph::PlacementProblem problem =
      cleave::graph::buildPlacementProblem(function, eight);
  auto built = std::chrono::steady_clock::now();
  llvm::Expected<PipelinePlan> plan = planPipeline(problem.pipeline);
  auto done = std::chrono::steady_clock::now();
  if (!plan) {
    llvm::errs() << llvm::toString(plan.takeError()) << "\n";
    return 1;
  }
  auto ms = [](auto a, auto b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  llvm::outs() << llvm::formatv(
      "\nplacement speed: {0} ops on {1} devices: {2:f1} ms (problem "
      "{3:f1} ms, DP {4:f1} ms), {5} stages\n",
      problem.ops.size(), eight.devices.size(), ms(start, done),
      ms(start, built), ms(built, done), plan->stages.size());
  return 0;
}
