#include "file_flash.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace wandlab {
namespace native {

namespace {

constexpr uint8_t kErased = 0xFF;

// A path `dir/name` into out; false if it does not fit.
bool join(char* out, size_t capacity, const char* dir, const char* prefix, const char* name, const char* suffix) {
  const int n = std::snprintf(out, capacity, "%s/%s%s%s", dir, prefix, name, suffix);
  return n > 0 && static_cast<size_t>(n) < capacity;
}

// Writes all of data to fd; false on an error.
bool write_all(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

// -- FileFlash -------------------------------------------------------------------------------------------

FileFlash::~FileFlash() { close(); }

bool FileFlash::open(const char* path, bool durable) {
  close();
  durable_ = durable;
  created_ = false;
  replaced_size_ = 0;
  if (capacity_ == 0 || capacity_ % kFlashEraseUnit != 0) {
    std::snprintf(error_, sizeof(error_), "the slot size %zu is not a multiple of the %zu-byte erase unit",
                  capacity_, kFlashEraseUnit);
    return false;
  }
  const int fd = ::open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::snprintf(error_, sizeof(error_), "cannot open the flash file %s: %s", path, std::strerror(errno));
    return false;
  }
  struct stat st {};
  const bool fresh = ::fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) != file_bytes();
  if (fresh) {
    replaced_size_ = st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0;
    // Truncating to 0 first drops whatever an older layout left, so no stale byte survives the resize.
    if (::ftruncate(fd, 0) != 0 || ::ftruncate(fd, static_cast<off_t>(file_bytes())) != 0) {
      std::snprintf(error_, sizeof(error_), "cannot size the flash file %s: %s", path, std::strerror(errno));
      ::close(fd);
      return false;
    }
  }
  void* map = ::mmap(nullptr, file_bytes(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);  // the mapping keeps the file
  if (map == MAP_FAILED) {
    std::snprintf(error_, sizeof(error_), "cannot map the flash file %s: %s", path, std::strerror(errno));
    return false;
  }
  map_ = static_cast<uint8_t*>(map);
  if (fresh) {
    std::memset(map_, kErased, file_bytes());  // a new chip comes erased
    sync(map_, file_bytes());
    created_ = true;
  }
  error_[0] = '\0';
  return true;
}

void FileFlash::close() {
  if (map_ != nullptr) {
    sync(map_, file_bytes());
    ::munmap(map_, file_bytes());
    map_ = nullptr;
  }
}

uint8_t* FileFlash::area(bool record, uint8_t index) const {
  if (map_ == nullptr) return nullptr;
  if (record) {
    return index < slots::kRecordPages ? map_ + 2 * capacity_ + index * kFlashRecordPageBytes : nullptr;
  }
  return index < slots::kSlotCount ? map_ + index * capacity_ : nullptr;
}

const uint8_t* FileFlash::data(uint8_t slot) const { return area(false, slot); }
const uint8_t* FileFlash::record_page(uint8_t page) const { return area(true, page); }

bool FileFlash::erase(uint8_t slot, size_t offset) {
  uint8_t* base = area(false, slot);
  if (base == nullptr || offset % kFlashEraseUnit != 0 || offset >= capacity_) {
    return violation("erase outside the slots or not at an erase unit", slot, offset);
  }
  return erase_at(base + offset, kFlashEraseUnit);
}

bool FileFlash::erase_record_page(uint8_t page) {
  uint8_t* base = area(true, page);
  if (base == nullptr) return violation("erase of a record page that does not exist", page, 0);
  return erase_at(base, kFlashRecordPageBytes);
}

bool FileFlash::write(uint8_t slot, size_t offset, const uint8_t* data, size_t size) {
  uint8_t* base = area(false, slot);
  if (base == nullptr || offset > capacity_ || size > capacity_ - offset) {
    return violation("write outside the slots", slot, offset);
  }
  return program(base + offset, data, size);
}

bool FileFlash::write_record_page(uint8_t page, size_t offset, const uint8_t* data, size_t size) {
  uint8_t* base = area(true, page);
  if (base == nullptr || offset > kFlashRecordPageBytes || size > kFlashRecordPageBytes - offset) {
    return violation("write outside the record pages", page, offset);
  }
  return program(base + offset, data, size);
}

bool FileFlash::erase_at(uint8_t* at, size_t size) {
  std::memset(at, kErased, size);
  sync(at, size);
  return true;
}

bool FileFlash::program(uint8_t* at, const uint8_t* data, size_t size) {
  // Checked before anything is written: a refused write changes nothing, as the core's Error says.
  for (size_t i = 0; i < size; ++i) {
    if (at[i] != kErased && at[i] != data[i]) {
      return violation("write over programmed bytes (NOR flash cannot set bits without an erase)",
                       static_cast<size_t>(at - map_) + i, at[i]);
    }
  }
  std::memcpy(at, data, size);
  sync(at, size);
  return true;
}

bool FileFlash::violation(const char* what, size_t a, size_t b) {
  ++violations_;
  std::fprintf(stderr, "wandlab_native_board: flash: %s (%zu, %zu); refused\n", what, a, b);
  return false;
}

void FileFlash::sync(uint8_t* at, size_t size) {
  if (!durable_ || size == 0) return;
  // msync wants a page-aligned start: widen the range down to the page it begins in.
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t offset = static_cast<size_t>(at - map_);
  const size_t start = offset - offset % page;
  ::msync(map_ + start, offset + size - start, MS_SYNC);
}

// -- FileRecord ------------------------------------------------------------------------------------------

bool FileRecord::open(const char* dir, const char* name, bool durable) {
  durable_ = durable;
  const int n = std::snprintf(dir_, sizeof(dir_), "%s", dir);
  return n > 0 && static_cast<size_t>(n) < sizeof(dir_) && join(path_, sizeof(path_), dir, "", name, "") &&
         join(temp_, sizeof(temp_), dir, ".", name, ".tmp");
}

bool FileRecord::load(uint8_t* data, size_t* size) {
  const int fd = ::open(path_, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t got = 0;
  bool ok = true;
  for (;;) {
    if (got == *size) {  // a record larger than the caller's buffer is not this board's
      uint8_t extra = 0;
      ok = ::read(fd, &extra, 1) == 0;
      break;
    }
    const ssize_t n = ::read(fd, data + got, *size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok = false;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (ok) *size = got;
  return ok;
}

bool FileRecord::save(const uint8_t* data, size_t size) {
  error_[0] = '\0';
  const int fd = ::open(temp_, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return failed("create", errno);
  if (!write_all(fd, data, size) || (durable_ && ::fsync(fd) != 0)) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp_);
    return failed("write", err);
  }
  ::close(fd);
  if (::rename(temp_, path_) != 0) {
    const int err = errno;
    ::unlink(temp_);
    return failed("rename", err);
  }
  if (durable_) {  // the rename itself must reach the disk too
    const int dir = ::open(dir_, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
  }
  return true;
}

bool FileRecord::failed(const char* step, int err) {
  std::snprintf(error_, sizeof(error_), "cannot save %s (%s: %s)", path_, step, std::strerror(err));
  std::fprintf(stderr, "wandlab_native_board: %s\n", error_);
  return false;
}

}  // namespace native
}  // namespace wandlab
