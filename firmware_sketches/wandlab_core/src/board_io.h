// What the board logic (board.h) needs from the hardware, as three small interfaces the board layer
// implements: where bytes go (USB CDC, a pseudo-terminal, a test buffer), what time it is, and how to
// switch the sensors on and off. Board code includes no Arduino header; each board folder
// (native_board, wandlab_xiao_sense) implements these behind the same names, like the TFLM examples'
// per-board output handlers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace board {

// The serial link's transmit side.
class ByteSink {
 public:
  // Writes all `size` bytes, waiting if it must (replies are never dropped). Returns false if the
  // link is gone and the bytes were thrown away.
  virtual bool write(const uint8_t* data, size_t size) = 0;
  // How many bytes write() would take right now without waiting. A sample block that does not fit
  // is dropped and counted instead of stalling the board (docs/protocol.md, StreamStats).
  virtual size_t room() const = 0;

 protected:
  ~ByteSink() = default;
};

class Clock {
 public:
  // Microseconds since some start, wrapping at 2^32 (about 71 minutes): only differences are used.
  virtual uint32_t micros() const = 0;

 protected:
  ~Clock() = default;
};

// The sensors and gauges. start_*() begins filling the board's sample rings (Board::imu_ring(),
// Board::audio_ring()); the board calls stop_*() before it resets a ring, so a producer that runs in
// an interrupt never writes into a ring being reset.
class SensorControl {
 public:
  // false: the sensor failed to start (the host gets Error INTERNAL).
  virtual bool start_imu(uint16_t rate_hz) = 0;
  virtual void stop_imu() = 0;
  virtual bool start_audio() = 0;
  virtual void stop_audio() = 0;
  virtual uint32_t free_ram_bytes() const { return 0; }
  // 0-100, or 255 on USB power / no gauge (protocol kBatteryUnknown).
  virtual uint8_t battery_percent() const { return 255; }

 protected:
  ~SensorControl() = default;
};

}  // namespace board
}  // namespace wandlab
