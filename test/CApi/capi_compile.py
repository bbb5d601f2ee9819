"""A Python consumer of the compiler's C API (libCleaveCompiler.so) through
ctypes: compile a model, or show the message of a failure.

  capi_compile.py <libCleaveCompiler.so> <model.onnx> <output> [target]
                  [compile_to] [dim ...] [--loss=...] [--optimizer=...]

With --loss (and --optimizer), the bundle is a training step.
"""
import ctypes
import sys


class Options(ctypes.Structure):
    # cleave/Compiler/CApi.h: cleave_compile_options, field by field.
    _fields_ = [("target", ctypes.c_char_p),
                ("compile_to", ctypes.c_char_p),
                ("precision", ctypes.c_char_p),
                ("machine", ctypes.c_char_p),
                ("strategy", ctypes.c_char_p),
                ("num_devices", ctypes.c_uint),
                ("dims", ctypes.POINTER(ctypes.c_char_p)),
                ("num_dims", ctypes.c_size_t),
                ("input_shapes", ctypes.POINTER(ctypes.c_char_p)),
                ("num_input_shapes", ctypes.c_size_t),
                ("build_executables", ctypes.c_int),
                ("loss", ctypes.c_char_p),
                ("optimizer", ctypes.c_char_p),
                ("trainable", ctypes.POINTER(ctypes.c_char_p)),
                ("num_trainable", ctypes.c_size_t),
                ("frozen", ctypes.POINTER(ctypes.c_char_p)),
                ("num_frozen", ctypes.c_size_t)]


def main():
    flags = {a[2:].split("=", 1)[0]: a.split("=", 1)[1]
             for a in sys.argv[1:] if a.startswith("--")}
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    library, model, output = args[0:3]
    target = args[3] if len(args) > 3 else ""
    phase = args[4] if len(args) > 4 else ""
    dims = [d.encode() for d in args[5:]]
    cleave = ctypes.CDLL(library)
    cleave.cleave_compile.restype = ctypes.c_int
    cleave.cleave_compile.argtypes = [
        ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(Options),
        ctypes.POINTER(ctypes.c_void_p)]
    cleave.cleave_free.argtypes = [ctypes.c_void_p]
    options = Options()
    cleave.cleave_compile_options_init(ctypes.byref(options))
    if target:
        options.target = target.encode()
    if phase:
        options.compile_to = phase.encode()
    dim_array = (ctypes.c_char_p * max(len(dims), 1))(*dims)
    options.dims = dim_array
    options.num_dims = len(dims)
    if "loss" in flags:
        options.loss = flags["loss"].encode()
    if "optimizer" in flags:
        options.optimizer = flags["optimizer"].encode()
    message = ctypes.c_void_p()
    status = cleave.cleave_compile(model.encode(), output.encode(),
                                   ctypes.byref(options),
                                   ctypes.byref(message))
    if status != 0:
        print("cleave_compile failed:")
        print(ctypes.string_at(message.value).decode(), end="")
    cleave.cleave_free(message)
    return status


if __name__ == "__main__":
    sys.exit(main())
