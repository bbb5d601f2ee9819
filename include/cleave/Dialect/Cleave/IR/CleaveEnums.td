//===- CleaveEnums.td - ONNX string attributes with closed value sets ----===//
//
// ONNX spells modes as strings ("SAME_UPPER", "reflect"); the graph ops
// store them as those strings, constrained to a C++ enum's values and read
// as the enum, so the IR and the importer keep ONNX's spelling, passes
// switch over enumerators, and an unknown value fails verification with the
// values it may take.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_CLEAVEENUMS_TD
#define CLEAVE_DIALECT_CLEAVE_IR_CLEAVEENUMS_TD

include "mlir/IR/EnumAttr.td"

class Cleave_OnnxEnum<string name, string summary,
                      list<I32EnumAttrCase> cases>
    : I32EnumAttr<name, summary, cases> {
  let cppNamespace = "::cleave::graph";
  let genSpecializedAttr = 0;
}

// The enum as a string attribute: stored and printed as ONNX spells it,
// constrained to the enum's values, and read as the enum (an op's getter
// returns the enumerator; a builder takes one).
class Cleave_OnnxEnumAttr<Cleave_OnnxEnum e>
    : Attr<CPred<"::llvm::isa<::mlir::StringAttr>($_self) && " #
                 e.cppNamespace # "::" # e.stringToSymbolFnName #
                 "(::llvm::cast<::mlir::StringAttr>($_self).getValue())">,
           e.summary # " (" #
           !interleave(!foreach(c, e.enumerants, "'" # c.str # "'"), ", ") #
           ")"> {
  defvar cpp = e.cppNamespace # "::" # e.className;
  let storageType = "::mlir::StringAttr";
  let returnType = cpp;
  // Unchecked attributes (type inference before verification) read as the
  // first enumerator, the ONNX default.
  let convertFromStorage = e.cppNamespace # "::" # e.stringToSymbolFnName #
                           "($_self.getValue()).value_or(" # cpp # "(0))";
  let constBuilderCall = "::mlir::StringAttr::get($_builder.getContext(), " #
                         e.cppNamespace # "::" # e.symbolToStringFnName #
                         "($0))";
}

// With its ONNX default (the enumerator `default`).
class Cleave_OnnxEnumDefault<Cleave_OnnxEnum e, string default>
    : DefaultValuedAttr<Cleave_OnnxEnumAttr<e>,
                        e.cppNamespace # "::" # e.className # "::" # default>;

def Cleave_AutoPad : Cleave_OnnxEnum<"AutoPad", "ONNX auto_pad", [
  I32EnumAttrCase<"NotSet", 0, "NOTSET">,
  I32EnumAttrCase<"SameUpper", 1, "SAME_UPPER">,
  I32EnumAttrCase<"SameLower", 2, "SAME_LOWER">,
  I32EnumAttrCase<"Valid", 3, "VALID">]>;

def Cleave_PadMode : Cleave_OnnxEnum<"PadMode", "ONNX Pad mode", [
  I32EnumAttrCase<"Constant", 0, "constant">,
  I32EnumAttrCase<"Reflect", 1, "reflect">,
  I32EnumAttrCase<"Edge", 2, "edge">,
  I32EnumAttrCase<"Wrap", 3, "wrap">]>;

def Cleave_ResizeMode : Cleave_OnnxEnum<"ResizeMode", "ONNX Resize mode", [
  I32EnumAttrCase<"Nearest", 0, "nearest">,
  I32EnumAttrCase<"Linear", 1, "linear">,
  I32EnumAttrCase<"Cubic", 2, "cubic">]>;

// Beyond ONNX: an activation cleave-fuse-ops folds into a convolution; its
// value is the conv_fused kernel's `activation` (0: none).
def Cleave_FusedActivation
    : Cleave_OnnxEnum<"FusedActivation", "an activation fused into a Conv", [
  I32EnumAttrCase<"Swish", 1, "swish">,
  I32EnumAttrCase<"HardSwish", 2, "hard_swish">]>;

def Cleave_GridSamplePadding
    : Cleave_OnnxEnum<"GridSamplePadding", "ONNX GridSample padding_mode", [
  I32EnumAttrCase<"Zeros", 0, "zeros">,
  I32EnumAttrCase<"Border", 1, "border">,
  I32EnumAttrCase<"Reflection", 2, "reflection">]>;

def Cleave_TfIdfMode : Cleave_OnnxEnum<"TfIdfMode", "ONNX TfIdfVectorizer mode", [
  I32EnumAttrCase<"TF", 0, "TF">,
  I32EnumAttrCase<"IDF", 1, "IDF">,
  I32EnumAttrCase<"TFIDF", 2, "TFIDF">]>;

def Cleave_RoiAlignMode : Cleave_OnnxEnum<"RoiAlignMode", "ONNX RoiAlign mode", [
  I32EnumAttrCase<"Avg", 0, "avg">,
  I32EnumAttrCase<"Max", 1, "max">]>;

// RoiAlign-16's coordinate_transformation_mode; opset 10 behaves as
// output_half_pixel (the importer sets it).
def Cleave_RoiAlignCoordinates
    : Cleave_OnnxEnum<"RoiAlignCoordinates",
                      "ONNX RoiAlign coordinate_transformation_mode", [
  I32EnumAttrCase<"HalfPixel", 0, "half_pixel">,
  I32EnumAttrCase<"OutputHalfPixel", 1, "output_half_pixel">]>;

def Cleave_CoordinateTransformation
    : Cleave_OnnxEnum<"CoordinateTransformation",
                      "ONNX Resize coordinate_transformation_mode", [
  I32EnumAttrCase<"HalfPixel", 0, "half_pixel">,
  I32EnumAttrCase<"HalfPixelSymmetric", 1, "half_pixel_symmetric">,
  I32EnumAttrCase<"PytorchHalfPixel", 2, "pytorch_half_pixel">,
  I32EnumAttrCase<"AlignCorners", 3, "align_corners">,
  I32EnumAttrCase<"Asymmetric", 4, "asymmetric">,
  I32EnumAttrCase<"TfCropAndResize", 5, "tf_crop_and_resize">,
  I32EnumAttrCase<"TfHalfPixelForNn", 6, "tf_half_pixel_for_nn">]>;

def Cleave_NearestMode : Cleave_OnnxEnum<"NearestMode",
                                         "ONNX Resize nearest_mode", [
  I32EnumAttrCase<"RoundPreferFloor", 0, "round_prefer_floor">,
  I32EnumAttrCase<"RoundPreferCeil", 1, "round_prefer_ceil">,
  I32EnumAttrCase<"Floor", 2, "floor">,
  I32EnumAttrCase<"Ceil", 3, "ceil">]>;

def Cleave_AspectRatioPolicy
    : Cleave_OnnxEnum<"AspectRatioPolicy",
                      "ONNX Resize keep_aspect_ratio_policy", [
  I32EnumAttrCase<"Stretch", 0, "stretch">,
  I32EnumAttrCase<"NotLarger", 1, "not_larger">,
  I32EnumAttrCase<"NotSmaller", 2, "not_smaller">]>;

def Cleave_GeluApproximation
    : Cleave_OnnxEnum<"GeluApproximation", "ONNX Gelu approximate", [
  I32EnumAttrCase<"None", 0, "none">,
  I32EnumAttrCase<"Tanh", 1, "tanh">]>;

def Cleave_ScatterReduction
    : Cleave_OnnxEnum<"ScatterReduction", "ONNX ScatterND/ScatterElements reduction", [
  I32EnumAttrCase<"None", 0, "none">,
  I32EnumAttrCase<"Add", 1, "add">,
  I32EnumAttrCase<"Mul", 2, "mul">,
  I32EnumAttrCase<"Max", 3, "max">,
  I32EnumAttrCase<"Min", 4, "min">]>;

def Cleave_ShiftDirection
    : Cleave_OnnxEnum<"ShiftDirection", "ONNX BitShift direction", [
  I32EnumAttrCase<"Left", 0, "LEFT">,
  I32EnumAttrCase<"Right", 1, "RIGHT">]>;

#endif // CLEAVE_DIALECT_CLEAVE_IR_CLEAVEENUMS_TD
