// The native board's "USB cable": a pseudo-terminal. The board holds the master side; the host opens
// the slave (/dev/pts/N) with pyserial exactly as it opens /dev/ttyACM0. Bytes to the host wait in
// a fixed transmit buffer; past kDroppableLimit of backlog, sample blocks are dropped (and counted by
// the board) while replies still go out - the same rule as pty_server.py's TX_LIMIT_BYTES.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "board_io.h"

namespace wandlab {
namespace native {

class PtyPort : public board::ByteSink {
 public:
  static constexpr size_t kBufferBytes = 64 * 1024;
  static constexpr size_t kDroppableLimit = 32 * 1024;

  PtyPort() = default;
  ~PtyPort();
  PtyPort(const PtyPort&) = delete;
  PtyPort& operator=(const PtyPort&) = delete;

  // A stable name for the port, like /dev/serial/by-id: a symlink to the current /dev/pts/N, so the host
  // finds the board again after unplug() although the kernel hands out a new pty. Set before plug_in().
  void set_link_path(const std::string& path) { link_path_ = path; }
  bool has_link() const { return !link_path_.empty(); }
  // Opens a raw pseudo-terminal (and points the link at it); false (and *error says why) if it cannot.
  bool plug_in(std::string* error);
  // Cable out: the host's port hangs up and the link vanishes; bytes not yet sent are lost.
  void unplug();
  bool plugged() const { return master_ >= 0; }
  // What the host opens: the link, or /dev/pts/N without one.
  const std::string& host_path() const { return link_path_.empty() ? slave_path_ : link_path_; }
  int master_fd() const { return master_; }

  // Whatever the host sent (up to `capacity` bytes); 0 if nothing is waiting.
  size_t read(uint8_t* out, size_t capacity);
  // Moves buffered bytes into the pty without blocking. True while bytes are still waiting.
  bool flush();

  bool write(const uint8_t* data, size_t size) override;
  size_t room() const override;

 private:
  int master_ = -1;
  int slave_ = -1;  // held open so the master never reads EIO while no host has the port open
  std::string slave_path_;
  std::string link_path_;
  uint8_t buffer_[kBufferBytes];
  size_t pending_ = 0;
};

}  // namespace native
}  // namespace wandlab
