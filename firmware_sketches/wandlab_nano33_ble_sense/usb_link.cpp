#include "usb_link.h"

#include <Arduino.h>

namespace wandlab {
namespace nano33 {

// connected() is the terminal's DTR; `if (Serial)` would be the same but calls delay(1) every time.
bool UsbLink::host_present() const { return Serial.connected(); }

size_t UsbLink::read(uint8_t* out, size_t capacity) {
  const int available = Serial.available();
  if (available <= 0) return 0;
  const size_t n = static_cast<size_t>(available) < capacity ? static_cast<size_t>(available) : capacity;
  return Serial.readBytes(out, n);  // n bytes are already there: no waiting for the Stream timeout
}

void UsbLink::flush() {
  if (!host_present()) {
    size_ = head_ = 0;  // nobody is reading: what was queued is for a host that left
    return;
  }
  // send_nb() copies up to 512 bytes and starts one bulk transfer; while that transfer runs it takes
  // nothing (actual = 0), so this moves at most one chunk per loop(): at 1000 loops a second 512 KB/s,
  // over ten times the ~35 KB/s of 100 Hz IMU + 16 kHz audio.
  while (size_ > 0) {
    size_t n = kBufferBytes - head_;  // contiguous part
    if (n > size_) n = size_;
    uint32_t sent = 0;
    Serial.send_nb(buffer_ + head_, static_cast<uint32_t>(n), &sent);
    if (sent == 0) break;
    head_ = (head_ + sent) % kBufferBytes;
    size_ -= sent;
  }
}

bool UsbLink::write(const uint8_t* data, size_t size) {
  if (!host_present()) return false;
  // A reply may wait a little for the host to read; a host that stopped reading does not hang us.
  for (unsigned long start = millis(); kBufferBytes - size_ < size && millis() - start < 100;) {
    flush();
    yield();
  }
  if (size > kBufferBytes - size_) return false;
  for (size_t i = 0; i < size; ++i) buffer_[(head_ + size_ + i) % kBufferBytes] = data[i];
  size_ += size;
  return true;
}

size_t UsbLink::room() const {
  if (!host_present() || size_ >= kDroppableLimit) return 0;
  return kDroppableLimit - size_;
}

}  // namespace nano33
}  // namespace wandlab
