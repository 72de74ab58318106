// The Nano 33 BLE Sense's USB CDC (the mbed core's USBSerial) as the Board's ByteSink. Serial.write() on
// this core blocks until the host has taken every 64-byte packet - and forever if a terminal holds the port
// open without reading - so this link keeps its own transmit buffer and feeds the CDC class with send_nb(),
// which never waits. Past kDroppableLimit of backlog, sample blocks are dropped and counted by the Board, as
// pty_server.py drops past TX_LIMIT_BYTES.
#pragma once

#include <cstddef>
#include <cstdint>

#include "board_io.h"

namespace wandlab {
namespace nano33 {

class UsbLink : public board::ByteSink {
 public:
  static constexpr size_t kBufferBytes = 6 * 1024;
  static constexpr size_t kDroppableLimit = 4 * 1024;

  // True while a host holds the port open (DTR set).
  bool host_present() const;
  // Received bytes into `out`; returns how many.
  size_t read(uint8_t* out, size_t capacity);
  // Hands buffered bytes to the CDC class without waiting.
  void flush();

  bool write(const uint8_t* data, size_t size) override;
  size_t room() const override;

 private:
  uint8_t buffer_[kBufferBytes];
  size_t head_ = 0;  // next byte to send
  size_t size_ = 0;  // bytes waiting
};

}  // namespace nano33
}  // namespace wandlab
