// Stand-in for the Wire library of the Arduino-ESP32 core 3.x (espressif/arduino-esp32
// libraries/Wire/src/Wire.h, commit 0454e3a), as the wandlab_esp32s3 layer uses it. Declarations as in the
// library (including the overloads a call could be ambiguous with), bodies trivial.
// The receive buffer is I2C_BUFFER_LENGTH = 128 bytes unless setBufferSize() changes it.
#pragma once

#include <Arduino.h>

#ifndef I2C_BUFFER_LENGTH
#define I2C_BUFFER_LENGTH 128
#endif

class TwoWire : public Stream {
 public:
  explicit TwoWire(uint8_t bus_num) : num_(bus_num) {}

  void begin() { begin(-1, -1); }
  void begin(uint8_t address) { begin(address, -1, -1, 0); }
  bool begin(int sda, int scl, uint32_t frequency = 0) { return sda >= -1 && scl >= -1 && frequency < 5000000; }
  bool begin(uint8_t slaveAddr, int sda, int scl, uint32_t frequency) {
    return begin(sda, scl, frequency) && slaveAddr < 0x80;
  }
  void end() {}
  bool setPins(int sda, int scl) { return sda >= 0 && scl >= 0; }
  void setClock(uint32_t freq) { (void)freq; }
  uint32_t getClock() { return 100000; }
  size_t setBufferSize(size_t bSize) { return bSize; }
  void setTimeOut(uint16_t timeOutMillis) { (void)timeOutMillis; }
  uint16_t getTimeOut() { return 50; }

  void beginTransmission(uint8_t address) { (void)address; }
  // 0: success; 1-5: the Arduino error codes (data too long, NACK on address, NACK on data, other, timeout).
  uint8_t endTransmission(bool stopBit) {
    (void)stopBit;
    return 0;
  }
  uint8_t endTransmission() { return endTransmission(true); }
  size_t requestFrom(uint8_t address, size_t len, bool stopBit) {
    (void)address, (void)stopBit;
    return len;
  }
  size_t requestFrom(uint8_t address, size_t len) { return requestFrom(address, len, true); }

  size_t write(uint8_t) override { return 1; }
  size_t write(const uint8_t* data, size_t size) override { return data != nullptr ? size : 0; }
  int available() override { return 0; }
  int read() override { return -1; }
  int peek() override { return -1; }
  void flush() override {}

 private:
  uint8_t num_;
};

inline TwoWire Wire(0);
inline TwoWire Wire1(1);
