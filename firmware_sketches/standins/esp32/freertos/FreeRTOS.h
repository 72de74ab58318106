// Stand-in for ESP-IDF 5.x's FreeRTOS types (components/freertos: FreeRTOS.h, portmacro.h, projdefs.h) as
// the Arduino-ESP32 3.x core exposes them. Only what the wandlab_esp32s3 layer uses.
#pragma once

#include <cstdint>

typedef int BaseType_t;
typedef unsigned int UBaseType_t;
typedef uint32_t TickType_t;

#define pdFALSE ((BaseType_t)0)
#define pdTRUE ((BaseType_t)1)
#define pdPASS (pdTRUE)
#define portMAX_DELAY ((TickType_t)0xffffffffUL)
#define portTICK_PERIOD_MS ((TickType_t)1)  // CONFIG_FREERTOS_HZ=1000 in the Arduino-ESP32 build
#define pdMS_TO_TICKS(xTimeInMs) ((TickType_t)(((TickType_t)(xTimeInMs) * (TickType_t)1000) / (TickType_t)1000U))
#define tskNO_AFFINITY ((BaseType_t)0x7FFFFFFF)
