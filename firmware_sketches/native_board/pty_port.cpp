#include "pty_port.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace wandlab {
namespace native {

PtyPort::~PtyPort() { unplug(); }

void PtyPort::unplug() {
  if (slave_ >= 0) ::close(slave_);
  if (master_ >= 0) ::close(master_);
  slave_ = master_ = -1;
  pending_ = 0;
  if (!link_path_.empty()) ::unlink(link_path_.c_str());
}

bool PtyPort::plug_in(std::string* error) {
  unplug();
  master_ = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) {
    *error = std::string("no pseudo-terminal: ") + std::strerror(errno);
    unplug();
    return false;
  }
  const char* name = ::ptsname(master_);
  if (name == nullptr) {
    *error = std::string("ptsname failed: ") + std::strerror(errno);
    unplug();
    return false;
  }
  slave_path_ = name;
  slave_ = ::open(name, O_RDWR | O_NOCTTY);
  termios raw{};
  if (slave_ < 0 || ::tcgetattr(slave_, &raw) != 0) {
    *error = "cannot open " + slave_path_ + ": " + std::strerror(errno);
    unplug();
    return false;
  }
  // Raw bytes both ways: no echo, no line editing, no CR/LF translation (a 0x0A is just a byte).
  ::cfmakeraw(&raw);
  ::tcsetattr(slave_, TCSANOW, &raw);
  ::fcntl(master_, F_SETFL, ::fcntl(master_, F_GETFL) | O_NONBLOCK);
  ::fcntl(master_, F_SETFD, ::fcntl(master_, F_GETFD) | FD_CLOEXEC);
  ::fcntl(slave_, F_SETFD, ::fcntl(slave_, F_GETFD) | FD_CLOEXEC);
  if (!link_path_.empty()) {
    // Replace the link in one step, so the host never sees a name that points nowhere.
    const std::string tmp = link_path_ + ".tmp";
    ::unlink(tmp.c_str());
    if (::symlink(slave_path_.c_str(), tmp.c_str()) != 0 || ::rename(tmp.c_str(), link_path_.c_str()) != 0) {
      *error = "cannot link " + link_path_ + ": " + std::strerror(errno);
      unplug();
      return false;
    }
  }
  return true;
}

size_t PtyPort::read(uint8_t* out, size_t capacity) {
  if (master_ < 0) return 0;
  const ssize_t n = ::read(master_, out, capacity);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

bool PtyPort::flush() {
  while (pending_ > 0) {
    const ssize_t n = ::write(master_, buffer_, pending_);
    if (n <= 0) break;  // EAGAIN: the host is not reading fast enough; try again next loop
    std::memmove(buffer_, buffer_ + n, pending_ - static_cast<size_t>(n));
    pending_ -= static_cast<size_t>(n);
  }
  return pending_ > 0;
}

bool PtyPort::write(const uint8_t* data, size_t size) {
  if (master_ < 0) return false;  // unplugged: nobody to talk to
  if (size > kBufferBytes - pending_) {
    flush();
    // Replies may wait a little for a slow host, never forever.
    for (int tries = 0; tries < 50 && size > kBufferBytes - pending_; ++tries) {
      pollfd p{master_, POLLOUT, 0};
      ::poll(&p, 1, 10);
      flush();
    }
    if (size > kBufferBytes - pending_) return false;
  }
  std::memcpy(buffer_ + pending_, data, size);
  pending_ += size;
  return true;
}

size_t PtyPort::room() const {
  if (master_ < 0) return 0;
  return pending_ >= kDroppableLimit ? 0 : kDroppableLimit - pending_;
}

}  // namespace native
}  // namespace wandlab
