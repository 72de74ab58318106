// The USB CDC side of the XIAO: a ByteSink with its own transmit buffer in front of TinyUSB's 256-byte
// FIFO. Sample blocks wait here (up to kDroppableLimit) instead of stalling loop() in Serial.write();
// past that they are dropped and counted by the board, as pty_server.py drops past TX_LIMIT_BYTES.
#pragma once

#include <cstddef>
#include <cstdint>

#include "board_io.h"

namespace wandlab {
namespace xiao {

class UsbLink : public board::ByteSink {
 public:
  // Room for the largest frame (protocol::kMaxFrameBytes); sample blocks may fill kDroppableLimit of it,
  // and a reply that does not fit behind them waits for the host to read (write(), at most 100 ms).
  static constexpr size_t kBufferBytes = 4608;
  static constexpr size_t kDroppableLimit = 2048;

  // True while a host holds the port open (DTR set).
  bool host_present() const;
  // Received bytes into `out`; returns how many.
  size_t read(uint8_t* out, size_t capacity);
  // Moves buffered bytes into TinyUSB without waiting.
  void flush();

  bool write(const uint8_t* data, size_t size) override;
  size_t room() const override;

 private:
  uint8_t buffer_[kBufferBytes];
  size_t head_ = 0;  // next byte to send
  size_t size_ = 0;  // bytes waiting
};

}  // namespace xiao
}  // namespace wandlab
