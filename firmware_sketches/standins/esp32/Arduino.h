// Stand-in for Arduino.h of the Arduino-ESP32 core 3.x (espressif/arduino-esp32, board
// esp32:esp32:XIAO_ESP32S3 with "USB CDC On Boot: Enabled", USB mode "Hardware CDC and JTAG"), for compiling
// the wandlab_esp32s3 layer on a PC (tests/firmware/test_board_layers.py). Only what that layer calls,
// declared as the core declares it; bodies are trivial (compile and link, never run).
//
// Followed (espressif/arduino-esp32):
//   cores/esp32/esp32-hal-gpio.h   LOW/HIGH/INPUT/OUTPUT/INPUT_PULLUP are plain #defines,
//                                  pinMode(uint8_t, uint8_t), digitalWrite(uint8_t, uint8_t), int digitalRead(uint8_t)
//   cores/esp32/esp32-hal-misc / esp32-hal.h  millis, micros, delay(uint32_t), yield
//   cores/esp32/Print.h, Stream.h  write / available / read / peek / readBytes / setTimeout
//   cores/esp32/HWCDC.h (commit 140cb2f)  HWCDC: setTxBufferSize / setRxBufferSize before begin(),
//                                  setTxTimeoutMs, availableForWrite, read(uint8_t*, size_t), static
//                                  isConnected(); `Serial` is HWCDCSerial when USB CDC On Boot is on
//   cores/esp32/Esp.h              EspClass ESP: getFreeHeap(), getEfuseMac()
//   variants/XIAO_ESP32S3/pins_arduino.h (commit 366ee54)  LED_BUILTIN 21, SDA 5, SCL 6, D0-D10
// Arduino.h of this core includes FreeRTOS (freertos/FreeRTOS.h, freertos/task.h): so does this one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

#define LOW 0x0
#define HIGH 0x1
#define INPUT 0x01
#define OUTPUT 0x03
#define PULLUP 0x04
#define INPUT_PULLUP 0x05
#define PULLDOWN 0x08
#define INPUT_PULLDOWN 0x09

inline void pinMode(uint8_t pin, uint8_t mode) { (void)pin, (void)mode; }
inline void digitalWrite(uint8_t pin, uint8_t val) { (void)pin, (void)val; }
inline int digitalRead(uint8_t pin) { return pin != 0 ? HIGH : LOW; }
inline unsigned long millis() { return 0; }
inline unsigned long micros() { return 0; }
inline void delay(uint32_t ms) { (void)ms; }
inline void yield(void) {}

// variants/XIAO_ESP32S3/pins_arduino.h
static const uint8_t LED_BUILTIN = 21;
static const uint8_t SDA = 5;
static const uint8_t SCL = 6;
static const uint8_t D0 = 1;
static const uint8_t D1 = 2;
static const uint8_t D2 = 3;
static const uint8_t D3 = 4;
static const uint8_t D4 = 5;
static const uint8_t D5 = 6;

class Print {
 public:
  virtual ~Print() = default;
  virtual size_t write(uint8_t) = 0;
  virtual size_t write(const uint8_t* buffer, size_t size) {
    size_t n = 0;
    while (n < size && write(buffer[n]) == 1) ++n;
    return n;
  }
  virtual void flush() {}
};

class Stream : public Print {
 public:
  virtual int available() = 0;
  virtual int read() = 0;
  virtual int peek() = 0;
  void setTimeout(unsigned long timeout) { timeout_ = timeout; }
  unsigned long getTimeout(void) { return timeout_; }
  virtual size_t readBytes(char* buffer, size_t length) {
    size_t n = 0;
    for (int c = read(); n < length && c >= 0; c = read()) buffer[n++] = static_cast<char>(c);
    return n;
  }
  size_t readBytes(uint8_t* buffer, size_t length) { return readBytes(reinterpret_cast<char*>(buffer), length); }

 protected:
  unsigned long timeout_ = 1000;
};

class HWCDC : public Stream {
 public:
  size_t setRxBufferSize(size_t size) { return size; }
  size_t setTxBufferSize(size_t size) { return size; }
  void setTxTimeoutMs(uint32_t timeout) { (void)timeout; }
  void begin(unsigned long baud = 0) { (void)baud; }
  void end() {}

  int available(void) override { return 0; }
  int availableForWrite(void) { return 0; }
  int peek(void) override { return -1; }
  int read(void) override { return -1; }
  size_t read(uint8_t* buffer, size_t size) {
    (void)buffer, (void)size;
    return 0;
  }
  size_t write(uint8_t) override { return 1; }
  size_t write(const uint8_t* buffer, size_t size) override { return buffer != nullptr ? size : 0; }
  void flush(void) override {}

  static bool isPlugged(void) { return true; }
  inline static bool isConnected(void) { return true; }
  operator bool() const { return true; }
};

inline HWCDC HWCDCSerial;
#define Serial HWCDCSerial

class EspClass {
 public:
  uint32_t getFreeHeap() { return 0; }
  uint64_t getEfuseMac() { return 0; }
};

inline EspClass ESP;
