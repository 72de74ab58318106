// Stand-in for Arduino.h of the Arduino Mbed OS Nano core (arduino:mbed_nano 4.x, board nano33ble), for
// compiling the wandlab_nano33_ble_sense layer on a PC (tests/firmware/test_board_layers.py). Only what that
// layer calls, declared as the core declares it; bodies are trivial (compile and link, never run).
//
// Followed (arduino/ArduinoCore-mbed and the ArduinoCore-API it builds on):
//   api/Common.h               PinStatus, PinMode, pin_size_t, pinMode, digitalWrite, digitalRead, millis,
//                              micros, delay, yield - enums, not ints: digitalWrite(pin, 0) does not compile
//   api/Stream.h               Stream::readBytes(uint8_t*, size_t)
//   cores/arduino/USB/USBCDC.h            (commit 2a8fe4b) USBCDC::send_nb(uint8_t*, uint32_t, uint32_t*, bool)
//   cores/arduino/USB/PluggableUSBSerial.h (commit 2f9d2f0) arduino::USBSerial: begin, available, read,
//                              write, connected(); operator bool() calls delay(1), so the layer avoids it
//   variants/ARDUINO_NANO33BLE/pins_arduino.h (commit 0bed256) LEDR/LEDG/LEDB/LED_BUILTIN/LED_PWR numbers
//   nRF52840 MDK (nrf52840.h)  NRF_FICR->DEVICEID, reachable from Arduino.h through mbed.h
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

typedef enum { LOW = 0, HIGH = 1, CHANGE = 2, FALLING = 3, RISING = 4 } PinStatus;
typedef enum { INPUT = 0x0, OUTPUT = 0x1, INPUT_PULLUP = 0x2, INPUT_PULLDOWN = 0x3, OUTPUT_OPENDRAIN = 0x4 } PinMode;
typedef uint8_t pin_size_t;

inline void pinMode(pin_size_t, PinMode) {}
inline void digitalWrite(pin_size_t, PinStatus) {}
inline PinStatus digitalRead(pin_size_t) { return HIGH; }
inline unsigned long millis(void) { return 0; }
inline unsigned long micros(void) { return 0; }
inline void delay(unsigned long) {}
inline void yield(void) {}

// variants/ARDUINO_NANO33BLE/pins_arduino.h
#define PIN_LED (13u)
#define LED_BUILTIN PIN_LED
#define LEDR (22u)
#define LEDG (23u)
#define LEDB (24u)
#define LED_PWR (25u)

namespace arduino {

class Stream {
 public:
  virtual ~Stream() = default;
  virtual int available() = 0;
  virtual int read() = 0;
  virtual int peek() = 0;
  void setTimeout(unsigned long timeout) { timeout_ = timeout; }
  size_t readBytes(char* buffer, size_t length) { return readBytes(reinterpret_cast<uint8_t*>(buffer), length); }
  size_t readBytes(uint8_t* buffer, size_t length) {
    size_t n = 0;
    for (int c = read(); n < length && c >= 0; c = read()) buffer[n++] = static_cast<uint8_t>(c);
    return n;
  }

 private:
  unsigned long timeout_ = 1000;
};

class USBCDC {
 public:
  bool ready() { return true; }
  // Blocks until everything is sent.
  bool send(uint8_t* buffer, uint32_t size) { return buffer != nullptr || size == 0; }
  // Copies what fits into the CDC class's 512-byte transmit buffer; never waits.
  void send_nb(uint8_t* buffer, uint32_t size, uint32_t* actual, bool now = true) {
    (void)buffer;
    (void)now;
    *actual = size;
  }
};

class USBSerial : public USBCDC, public Stream {
 public:
  void begin(unsigned long) {}
  void begin(unsigned long baudrate, uint16_t config) {
    (void)config;
    begin(baudrate);
  }
  void end() {}
  int available(void) override { return 0; }
  int peek(void) override { return -1; }
  int read(void) override { return -1; }
  void flush(void) {}
  size_t write(uint8_t) { return 1; }
  size_t write(const uint8_t* buf, size_t size) { return buf != nullptr ? size : 0; }
  // The terminal set DTR (a host opened the port).
  bool connected() { return true; }
  bool dtr() { return true; }
  operator bool() {
    delay(1);
    return connected();
  }
};

}  // namespace arduino

using namespace arduino;

inline arduino::USBSerial _SerialUSB;
#define SerialUSB _SerialUSB
#define Serial SerialUSB

// nRF52840 factory information (nrf52840.h: __IM uint32_t DEVICEID[2]).
typedef struct {
  volatile const uint32_t DEVICEID[2];
} NRF_FICR_Type;
inline NRF_FICR_Type wandlab_standin_ficr{};
#define NRF_FICR (&wandlab_standin_ficr)

// nRF52840 MDK (nrf52840.h: IRQn_Type, PDM_IRQn = 29) and CMSIS core_cm4.h (NVIC_EnableIRQ and
// NVIC_DisableIRQ, macros for the __STATIC_INLINE __NVIC_* functions), both reached through mbed.h.
typedef enum { PDM_IRQn = 29 } IRQn_Type;
inline void __NVIC_EnableIRQ(IRQn_Type) {}
inline void __NVIC_DisableIRQ(IRQn_Type) {}
#define NVIC_EnableIRQ __NVIC_EnableIRQ
#define NVIC_DisableIRQ __NVIC_DisableIRQ
