//===- Weights.cpp - the device weights file ------------------------------===//

#include "cleave/Runtime/Weights.h"
#include "StatusInternal.h"
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

extern "C" {

cleave_status cleave_weights_map(const char *path, int64_t expected_size,
                                 cleave_weights *out) {
  std::memset(out, 0, sizeof(*out));
  std::string file = path;
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return CLEAVE_ERROR(CLEAVE_IO_ERROR, "cannot open weights '" + file +
                                             "': " + std::strerror(errno));
  struct stat info;
  if (::fstat(fd, &info) != 0 || info.st_size < CLEAVE_WEIGHTS_HEADER_SIZE) {
    ::close(fd);
    return CLEAVE_ERROR(CLEAVE_FORMAT_ERROR,
                        "weights '" + file + "' is too short for its header");
  }
  void *mapping =
      ::mmap(nullptr, (size_t)info.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapping == MAP_FAILED)
    return CLEAVE_ERROR(CLEAVE_IO_ERROR, "cannot map weights '" + file +
                                             "': " + std::strerror(errno));
  const char *bytes = static_cast<const char *>(mapping);
  uint64_t payload;
  std::memcpy(&payload, bytes + 8, sizeof(payload));
  std::string problem;
  if (std::memcmp(bytes, CLEAVE_WEIGHTS_MAGIC, 8) != 0)
    problem = "is not a Cleave weights file (bad magic)";
  else if (payload != (uint64_t)info.st_size - CLEAVE_WEIGHTS_HEADER_SIZE)
    problem = "is truncated or corrupted: its header says " +
              std::to_string(payload) + " payload bytes, the file has " +
              std::to_string(info.st_size - CLEAVE_WEIGHTS_HEADER_SIZE);
  else if (expected_size >= 0 && (int64_t)payload != expected_size)
    problem = "has " + std::to_string(payload) +
              " payload bytes but the program expects " +
              std::to_string(expected_size);
  if (!problem.empty()) {
    ::munmap(mapping, (size_t)info.st_size);
    return CLEAVE_ERROR(CLEAVE_FORMAT_ERROR,
                        "weights '" + file + "' " + problem);
  }
  out->payload = payload ? bytes + CLEAVE_WEIGHTS_HEADER_SIZE : nullptr;
  out->size = (int64_t)payload;
  out->mapping = mapping;
  out->mapping_size = (size_t)info.st_size;
  return nullptr;
}

void cleave_weights_unmap(cleave_weights *weights) {
  if (weights && weights->mapping)
    ::munmap(weights->mapping, weights->mapping_size);
  if (weights)
    std::memset(weights, 0, sizeof(*weights));
}

} // extern "C"
