#include "state_dir.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace wandlab {
namespace native {

bool StateDir::open(const char* path) {
  remove_temporary();
  error_[0] = '\0';
  if (path != nullptr && path[0] != '\0') {
    const int n = std::snprintf(path_, sizeof(path_), "%s", path);
    if (n <= 0 || static_cast<size_t>(n) + 32 >= sizeof(path_)) {  // room for the file names
      std::snprintf(error_, sizeof(error_), "the state directory's path is too long (at most %zu bytes)",
                    sizeof(path_) - 32);
      return false;
    }
    if (::mkdir(path_, 0755) != 0 && errno != EEXIST) {
      std::snprintf(error_, sizeof(error_), "cannot create the state directory %s: %s", path_, std::strerror(errno));
      return false;
    }
    struct stat st {};
    if (::stat(path_, &st) != 0 || !S_ISDIR(st.st_mode)) {
      std::snprintf(error_, sizeof(error_), "the state directory %s is not a directory", path_);
      return false;
    }
    kept_ = true;
    return true;
  }
  const char* tmp = std::getenv("TMPDIR");
  const int n = std::snprintf(path_, sizeof(path_), "%s/wandlab-native-board-XXXXXX",
                              tmp != nullptr && tmp[0] != '\0' ? tmp : "/tmp");
  if (n <= 0 || static_cast<size_t>(n) + 32 >= sizeof(path_) || ::mkdtemp(path_) == nullptr) {
    std::snprintf(error_, sizeof(error_), "cannot create a temporary state directory: %s", std::strerror(errno));
    path_[0] = '\0';
    return false;
  }
  kept_ = false;
  temporary_ = true;
  return true;
}

bool StateDir::file(const char* name, char* out, size_t capacity) const {
  const int n = std::snprintf(out, capacity, "%s/%s", path_, name);
  return n > 0 && static_cast<size_t>(n) < capacity;
}

void StateDir::remove_temporary() {
  if (!temporary_) return;
  temporary_ = false;
  // Only the board's own flat files live here: no recursion needed.
  if (DIR* dir = ::opendir(path_)) {
    while (const dirent* entry = ::readdir(dir)) {
      if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
      char file_path[kMaxPathBytes + 256];
      std::snprintf(file_path, sizeof(file_path), "%s/%s", path_, entry->d_name);
      ::unlink(file_path);
    }
    ::closedir(dir);
  }
  ::rmdir(path_);
}

}  // namespace native
}  // namespace wandlab
