// Stand-in for the PDM library of the Arduino Mbed OS core (arduino/ArduinoCore-mbed libraries/PDM), as
// the wandlab_nano33_ble_sense layer uses it. Declarations as in the library, bodies trivial.
//
// Followed: libraries/PDM/src/PDM.h (commit 0569965) - note begin(int channels, int sampleRate) returns
// int (1 = started) and takes an int rate - and libraries/PDM/src/nrf52/PDM.cpp (commit 78ea5cd): the
// onReceive callback runs in the PDM interrupt and must read everything available(), or the driver
// stops ("buffer overflow, stop"); the default buffer is 512 bytes (256 mono samples).
#pragma once

#include <Arduino.h>

class PDMClass {
 public:
  PDMClass(int dinPin, int clkPin, int pwrPin) : din_(dinPin), clk_(clkPin), pwr_(pwrPin) {}
  virtual ~PDMClass() = default;

  int begin(int channels, int sampleRate) { return channels == 1 && sampleRate == 16000 ? 1 : 0; }
  void end() {}
  virtual int available() { return 0; }
  virtual int read(void* buffer, size_t size) {
    (void)buffer;
    (void)size;
    return 0;
  }
  void onReceive(void (*function)(void)) { (void)function; }
  // Nano 33 BLE Sense: 0-80 (default 20).
  void setGain(int gain) { (void)gain; }
  void setBufferSize(int bufferSize) { (void)bufferSize; }

 private:
  int din_;
  int clk_;
  int pwr_;
};

// PDMClass PDM(PIN_PDM_DIN, PIN_PDM_CLK, PIN_PDM_PWR) on the Nano 33 BLE Sense: pins 29, 28, 27.
inline PDMClass PDM(29, 28, 27);
