# Lit configuration of Cleave's regression tests.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "Cleave"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".onnxtxt", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py",
                   "reference.py", "compare.py", "check_example.py",
                   "check_devices.py", "kill_rank.py", "check_models.py",
                   "capi_compile.py", "make_references.py",
                   "check_training.py", "check_gradients.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.cleave_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.cleave_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["cleave-opt", "cleave-translate", "cleave-compile", "cleave-run",
     "cleave-calibrate", "cleave-capi-compile"],
    [config.cleave_tools_dir])
# cuda: the CUDA target is built (bundles compile and link);
# cuda-gpu: a GPU can run them. Tests that need a GPU say REQUIRES: cuda-gpu
# and are reported unsupported elsewhere.
if config.cleave_cuda.upper() in ("ON", "1", "TRUE", "YES"):
    config.available_features.add("cuda")
    import shutil
    import subprocess
    smi = shutil.which("nvidia-smi")
    if smi and subprocess.run([smi, "-L"], capture_output=True).returncode == 0:
        config.available_features.add("cuda-gpu")

# The Python that has onnx, onnxruntime and numpy (scripts/install-deps.sh).
config.substitutions.append(("%pyonnx", config.python_executable))
config.substitutions.append(("%cleave_tools", config.cleave_tools_dir))
config.substitutions.append(
    ("%cleave_libs", os.path.join(config.cleave_obj_root, "lib")))
config.substitutions.append(("%cleave_build", config.cleave_obj_root))
