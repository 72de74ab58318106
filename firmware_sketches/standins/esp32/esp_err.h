// Stand-in for ESP-IDF 5.x components/esp_common/include/esp_err.h, as far as the wandlab_esp32s3 layer
// needs it: the error type and ESP_OK.
#pragma once

typedef int esp_err_t;

#define ESP_OK 0
#define ESP_FAIL -1
