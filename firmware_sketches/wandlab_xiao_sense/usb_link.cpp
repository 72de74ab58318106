#include "usb_link.h"

#include <Arduino.h>

namespace wandlab {
namespace xiao {

bool UsbLink::host_present() const { return static_cast<bool>(Serial); }

size_t UsbLink::read(uint8_t* out, size_t capacity) {
  const int available = Serial.available();
  if (available <= 0) return 0;
  const size_t n = static_cast<size_t>(available) < capacity ? static_cast<size_t>(available) : capacity;
  return Serial.readBytes(out, n);
}

void UsbLink::flush() {
  if (!host_present()) {
    size_ = head_ = 0;  // nobody is reading: what was queued is for a host that left
    return;
  }
  bool wrote = false;
  while (size_ > 0) {
    const int room = Serial.availableForWrite();
    if (room <= 0) break;
    size_t n = kBufferBytes - head_;  // contiguous part
    if (n > size_) n = size_;
    if (n > static_cast<size_t>(room)) n = static_cast<size_t>(room);
    const size_t sent = Serial.write(buffer_ + head_, n);  // never waits: n fits TinyUSB's FIFO
    if (sent == 0) break;
    head_ = (head_ + sent) % kBufferBytes;
    size_ -= sent;
    wrote = true;
  }
  if (wrote) Serial.flush();  // send a partly filled USB packet now, not when the FIFO fills
}

bool UsbLink::write(const uint8_t* data, size_t size) {
  if (!host_present()) return false;
  // A reply may wait a little for the host to read; a host that stopped reading does not hang us.
  for (uint32_t start = millis(); kBufferBytes - size_ < size && millis() - start < 100;) {
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

}  // namespace xiao
}  // namespace wandlab
