// The XIAO ESP32S3's USB CDC (the chip's USB Serial/JTAG controller, the core's HWCDC `Serial`) as the
// Board's ByteSink. HWCDC already has a transmit ring buffer drained by its interrupt; this link only sizes
// it (8 KB, set before Serial.begin()) and keeps kReplyReserve of it free for replies: sample blocks go out
// only while more than that is free, else the Board drops and counts them, as pty_server.py drops past
// TX_LIMIT_BYTES. A reply waits at most HWCDC's transmit timeout (100 ms) for room.
//
// Unlike the nRF52 boards, HWCDC cannot see DTR: host_present() means "a USB host is polling", not "the app
// opened the port", so closing the port does not end the session - the app's next Hello restarts it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "board_io.h"

namespace wandlab {
namespace esp32s3 {

class UsbLink : public board::ByteSink {
 public:
  static constexpr size_t kTxBufferBytes = 8 * 1024;
  static constexpr size_t kRxBufferBytes = 4 * 1024;  // a 2 KB model chunk and its framing, twice
  static constexpr size_t kReplyReserve = 2 * 1024;
  static constexpr uint32_t kTxTimeoutMs = 100;

  // Sizes HWCDC's buffers and starts it (before anything else uses Serial).
  void begin();
  bool host_present() const;
  // Received bytes into `out`; returns how many.
  size_t read(uint8_t* out, size_t capacity);

  bool write(const uint8_t* data, size_t size) override;
  size_t room() const override;
};

}  // namespace esp32s3
}  // namespace wandlab
