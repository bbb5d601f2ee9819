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
  // Private and writable: a training program updates its variables in
  // place (copy on write; the file never changes).
  void *mapping = ::mmap(nullptr, (size_t)info.st_size, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE, fd, 0);
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

cleave_status cleave_weights_write(const char *path, const void *payload,
                                   int64_t size) {
  std::string file = path, temporary = file + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  0644);
  if (fd < 0)
    return CLEAVE_ERROR(CLEAVE_IO_ERROR, "cannot write weights '" + file +
                                             "': " + std::strerror(errno));
  char header[CLEAVE_WEIGHTS_HEADER_SIZE] = {};
  std::memcpy(header, CLEAVE_WEIGHTS_MAGIC, 8);
  uint64_t bytes = (uint64_t)size;
  std::memcpy(header + 8, &bytes, sizeof(bytes));
  auto writeAll = [&](const char *data, size_t count) {
    while (count) {
      ssize_t n = ::write(fd, data, count);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return false;
      data += n;
      count -= (size_t)n;
    }
    return true;
  };
  bool ok = writeAll(header, sizeof(header)) &&
            writeAll(static_cast<const char *>(payload), (size_t)size);
  // On disk before the rename, so a crash after it cannot leave an empty
  // checkpoint under the name.
  ok = ok && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  // Renamed into place: an interrupted write leaves the old file.
  if (!ok || ::rename(temporary.c_str(), path) != 0) {
    std::string why = std::strerror(errno);
    ::unlink(temporary.c_str());
    return CLEAVE_ERROR(CLEAVE_IO_ERROR,
                        "cannot write weights '" + file + "': " + why);
  }
  return nullptr;
}

void cleave_weights_unmap(cleave_weights *weights) {
  if (weights && weights->mapping)
    ::munmap(weights->mapping, weights->mapping_size);
  if (weights)
    std::memset(weights, 0, sizeof(*weights));
}

} // extern "C"
