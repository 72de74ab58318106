#include "usb_link.h"

#include <Arduino.h>

namespace wandlab {
namespace esp32s3 {

void UsbLink::begin() {
  // Buffer sizes only take effect before begin().
  Serial.setTxBufferSize(kTxBufferBytes);
  Serial.setRxBufferSize(kRxBufferBytes);
  Serial.begin();
  Serial.setTxTimeoutMs(kTxTimeoutMs);
}

bool UsbLink::host_present() const { return HWCDC::isConnected(); }

size_t UsbLink::read(uint8_t* out, size_t capacity) {
  const int available = Serial.available();
  if (available <= 0) return 0;
  const size_t n = static_cast<size_t>(available) < capacity ? static_cast<size_t>(available) : capacity;
  return Serial.read(out, n);
}

bool UsbLink::write(const uint8_t* data, size_t size) {
  if (!host_present()) return false;
  // Copies into HWCDC's ring buffer, waiting up to kTxTimeoutMs for room if the host is slow to read.
  return Serial.write(data, size) == size;
}

size_t UsbLink::room() const {
  if (!host_present()) return 0;
  const int free_bytes = Serial.availableForWrite();
  if (free_bytes <= static_cast<int>(kReplyReserve)) return 0;
  return static_cast<size_t>(free_bytes) - kReplyReserve;
}

}  // namespace esp32s3
}  // namespace wandlab
