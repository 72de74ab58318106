// Stand-in for ESP_I2S of the Arduino-ESP32 core 3.x (espressif/arduino-esp32
// libraries/ESP_I2S/src/ESP_I2S.h, commit 03b4189, 3.0.x), as the wandlab_esp32s3 layer uses it, with the
// ESP-IDF 5.x enum values it takes (driver/i2s_types.h, hal/i2s_types.h). Declarations as in the library,
// bodies trivial. Later 3.x releases changed begin()'s last parameter (slot mask) to `int8_t slot_mask = -1`;
// the four-argument call the layer makes means the same in both.
//
// I2SClass hides Stream::readBytes(uint8_t*, size_t): only readBytes(char*, size_t) exists, as here. It reads
// until `size` bytes arrived or the Stream timeout (setTimeout) passed, so it blocks: call it from a task.
#pragma once

#include <Arduino.h>

#include "esp_err.h"

typedef enum {
  I2S_DATA_BIT_WIDTH_8BIT = 8,
  I2S_DATA_BIT_WIDTH_16BIT = 16,
  I2S_DATA_BIT_WIDTH_24BIT = 24,
  I2S_DATA_BIT_WIDTH_32BIT = 32,
} i2s_data_bit_width_t;

typedef enum {
  I2S_SLOT_MODE_MONO = 1,
  I2S_SLOT_MODE_STEREO = 2,
} i2s_slot_mode_t;

typedef enum {
  I2S_TDM_SLOT0 = (1 << 0),
  I2S_TDM_SLOT1 = (1 << 1),
} i2s_tdm_slot_mask_t;

typedef enum { I2S_MODE_STD, I2S_MODE_TDM, I2S_MODE_PDM_TX, I2S_MODE_PDM_RX } i2s_mode_t;

class I2SClass : public Stream {
 public:
  I2SClass() = default;
  ~I2SClass() = default;

  void setPins(int8_t bclk, int8_t ws, int8_t dout, int8_t din = -1, int8_t mclk = -1) {
    (void)bclk, (void)ws, (void)dout, (void)din, (void)mclk;
  }
  void setPinsPdmTx(int8_t clk, int8_t dout0, int8_t dout1 = -1) { (void)clk, (void)dout0, (void)dout1; }
  void setPinsPdmRx(int8_t clk, int8_t din0, int8_t din1 = -1, int8_t din2 = -1, int8_t din3 = -1) {
    (void)clk, (void)din0, (void)din1, (void)din2, (void)din3;
  }

  bool begin(i2s_mode_t mode, uint32_t rate, i2s_data_bit_width_t bits_cfg, i2s_slot_mode_t ch,
             i2s_tdm_slot_mask_t slot_mask = I2S_TDM_SLOT0) {
    (void)slot_mask;
    return mode == I2S_MODE_PDM_RX && rate > 0 && bits_cfg == I2S_DATA_BIT_WIDTH_16BIT && ch == I2S_SLOT_MODE_MONO;
  }
  bool end() { return true; }

  size_t readBytes(char* buffer, size_t size) {
    (void)buffer, (void)size;
    return 0;
  }
  size_t write(uint8_t* buffer, size_t size) { return buffer != nullptr ? size : 0; }

  int lastError() { return 0; }
  int available() override { return 0; }
  int peek() override { return -1; }
  int read() override { return -1; }
  size_t write(uint8_t d) override {
    (void)d;
    return 1;
  }
};
