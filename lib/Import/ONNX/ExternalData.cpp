//===- ExternalData.cpp - safe mapping of ONNX external data --------------===//

#include "ExternalData.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlir;

namespace cleave::onnx_import {

ExternalDataResolver::ExternalDataResolver(StringRef dir)
    : modelDir(dir.empty() ? "." : dir.str()) {}

namespace {
/// A file descriptor closed on scope exit.
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0)
      ::close(fd);
  }
};

/// Checks the path text itself: relative, and no component is "..".
LogicalResult checkRelativePath(StringRef location, std::string &error) {
  if (location.empty()) {
    error = "external data has an empty location";
    return failure();
  }
  if (llvm::sys::path::is_absolute(location) || location.starts_with("/") ||
      location.starts_with("\\") || location.contains(':')) {
    error = "external data location '" + location.str() +
            "' is absolute; it must be relative to the model's folder";
    return failure();
  }
  for (auto it = llvm::sys::path::begin(location),
            end = llvm::sys::path::end(location);
       it != end; ++it) {
    if (*it == "..") {
      error = "external data location '" + location.str() +
              "' leaves the model's folder ('..')";
      return failure();
    }
  }
  if (location.contains('\\')) {
    error =
        "external data location '" + location.str() + "' contains a backslash";
    return failure();
  }
  return success();
}
} // namespace

FailureOr<AsmResourceBlob>
ExternalDataResolver::map(StringRef location, int64_t offset, int64_t length,
                          int64_t expectedBytes, size_t alignment,
                          std::string &error) const {
  if (failed(checkRelativePath(location, error)))
    return failure();
  llvm::SmallString<256> path(modelDir);
  llvm::sys::path::append(path, location);

  // Every folder between the model's folder and the file must resolve
  // inside the model's folder (no symbolic link leading out of it).
  llvm::SmallString<256> realDir, realParent;
  if (llvm::sys::fs::real_path(modelDir, realDir) ||
      llvm::sys::fs::real_path(llvm::sys::path::parent_path(path),
                               realParent)) {
    error = "external data file '" + location.str() + "' does not exist";
    return failure();
  }
  if (realParent != realDir &&
      !StringRef(realParent)
           .starts_with((realDir + llvm::sys::path::get_separator()).str())) {
    error = "external data location '" + location.str() +
            "' resolves outside the model's folder";
    return failure();
  }

  FileDescriptor file;
  file.fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (file.fd < 0) {
    int err = errno;
    error = "external data file '" + location.str() + "' " +
            (err == ELOOP ? "is a symbolic link, which is not allowed"
                          : "cannot be opened: " + std::string(strerror(err)));
    return failure();
  }
  // The folders were checked before opening; check the file actually opened
  // too, so that swapping a folder for a link in between gains nothing.
  llvm::SmallString<256> opened;
  std::string fdPath = "/proc/self/fd/" + std::to_string(file.fd);
  if (!llvm::sys::fs::real_path(fdPath, opened) &&
      !StringRef(opened).starts_with(
          (realDir + llvm::sys::path::get_separator()).str())) {
    error = "external data location '" + location.str() +
            "' resolves outside the model's folder";
    return failure();
  }
  struct stat info;
  if (::fstat(file.fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    error = "external data file '" + location.str() + "' is not a regular file";
    return failure();
  }
  if (info.st_nlink > 1) {
    error = "external data file '" + location.str() +
            "' has more than one hard link, which is not allowed";
    return failure();
  }
  int64_t fileSize = info.st_size;
  if (offset < 0 || offset > fileSize) {
    error = "external data offset " + std::to_string(offset) +
            " is past the end of '" + location.str() + "' (" +
            std::to_string(fileSize) + " bytes)";
    return failure();
  }
  if (length < 0)
    length = fileSize - offset;
  if (length > fileSize - offset) {
    error = "external data of " + std::to_string(length) + " bytes at offset " +
            std::to_string(offset) + " is past the end of '" + location.str() +
            "' (" + std::to_string(fileSize) + " bytes)";
    return failure();
  }
  if (length != expectedBytes) {
    error = "external data in '" + location.str() + "' has " +
            std::to_string(length) + " bytes but the tensor needs " +
            std::to_string(expectedBytes);
    return failure();
  }
  if (length == 0)
    return HeapAsmResourceBlob::allocate(0, alignment);

  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getOpenFileSlice(file.fd, path, length, offset);
  if (!buffer) {
    error = "cannot map external data file '" + location.str() +
            "': " + buffer.getError().message();
    return failure();
  }
  ArrayRef<char> data((*buffer)->getBufferStart(), (size_t)length);
  if ((uintptr_t)data.data() % alignment != 0)
    return HeapAsmResourceBlob::allocateAndCopyWithAlign(data, alignment);
  std::shared_ptr<llvm::MemoryBuffer> owner = std::move(*buffer);
  return UnmanagedAsmResourceBlob::allocateWithAlign(
      data, alignment,
      [owner](void *, size_t, size_t) mutable { owner.reset(); });
}

} // namespace cleave::onnx_import
