# How Cleave finds its external packages. Everything comes from Debian's
# packages (see scripts/install-deps.sh); each is exposed as a target or as
# the variables that LLVM's CMake modules expect.

# --- LLVM / MLIR 22 -------------------------------------------------------
set(CLEAVE_LLVM_PREFIX "/usr/lib/llvm-22" CACHE PATH "LLVM/MLIR 22 install prefix")
find_package(MLIR REQUIRED CONFIG
  HINTS "${CLEAVE_LLVM_PREFIX}/lib/cmake/mlir")
message(STATUS "Using MLIRConfig.cmake in: ${MLIR_DIR}")
message(STATUS "Using LLVMConfig.cmake in: ${LLVM_DIR}")

list(APPEND CMAKE_MODULE_PATH "${MLIR_CMAKE_DIR}" "${LLVM_CMAKE_DIR}")
include(TableGen)
include(AddLLVM)
include(AddMLIR)
include(HandleLLVMOptions)

# Debian ships lit as a plain script and no llvm-lit.
find_program(CLEAVE_LIT lit HINTS "${LLVM_TOOLS_BINARY_DIR}" REQUIRED)
find_program(CLEAVE_FILECHECK FileCheck HINTS "${LLVM_TOOLS_BINARY_DIR}" REQUIRED)
set(CLEAVE_LIT "${CLEAVE_LIT}" CACHE FILEPATH "" FORCE)
set(CLEAVE_FILECHECK "${CLEAVE_FILECHECK}" CACHE FILEPATH "" FORCE)


# --- Protocol Buffers (ONNX's schema is third_party/onnx/onnx/onnx.proto,
# compiled by lib/Import/ONNX/CMakeLists.txt) ------------------------------
find_package(Protobuf REQUIRED)

# --- GoogleTest -----------------------------------------------------------
if(CLEAVE_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()

include_directories(SYSTEM ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
separate_arguments(CLEAVE_LLVM_DEFINITIONS NATIVE_COMMAND ${LLVM_DEFINITIONS})
add_definitions(${CLEAVE_LLVM_DEFINITIONS})
