//===- FileUtils.cpp - whole-file reads and atomic writes -----------------===//

#include "FileUtils.h"
#include "StatusInternal.h"
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace cleave::runtime {

cleave_status readFile(const char *path, std::string &bytes) {
  FILE *file = std::fopen(path, "rb");
  if (!file)
    return CLEAVE_ERROR(CLEAVE_IO_ERROR, std::string("cannot open '") + path +
                                             "': " + std::strerror(errno));
  bytes.clear();
  char buffer[1 << 16];
  size_t count;
  while ((count = std::fread(buffer, 1, sizeof(buffer), file)) > 0)
    bytes.append(buffer, count);
  bool failed = std::ferror(file);
  std::fclose(file);
  if (failed)
    return CLEAVE_ERROR(CLEAVE_IO_ERROR,
                        std::string("cannot read '") + path + "'");
  return nullptr;
}

cleave_status writeFile(const char *path, const std::string &bytes) {
  std::string temporary =
      std::string(path) + ".tmp." + std::to_string((long)::getpid());
  FILE *file = std::fopen(temporary.c_str(), "wb");
  if (!file)
    return CLEAVE_ERROR(CLEAVE_IO_ERROR, std::string("cannot create '") + path +
                                             "': " + std::strerror(errno));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
  // On disk before the rename, so a crash after it cannot leave an empty
  // file under the name.
  ok = ok && std::fflush(file) == 0 && ::fsync(fileno(file)) == 0;
  ok = std::fclose(file) == 0 && ok;
  if (!ok || std::rename(temporary.c_str(), path) != 0) {
    std::remove(temporary.c_str());
    return CLEAVE_ERROR(CLEAVE_IO_ERROR,
                        std::string("cannot write '") + path + "'");
  }
  return nullptr;
}

} // namespace cleave::runtime
