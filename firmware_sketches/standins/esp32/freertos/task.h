// Stand-in for ESP-IDF 5.x's freertos/task.h (components/freertos/FreeRTOS-Kernel/include/freertos/task.h
// and its ESP-IDF additions): task creation pinned to a core - the stack depth is in bytes on ESP-IDF -
// and vTaskDelay. Only what the wandlab_esp32s3 layer uses; bodies trivial.
#pragma once

#include "FreeRTOS.h"

struct tskTaskControlBlock;
typedef struct tskTaskControlBlock* TaskHandle_t;
typedef void (*TaskFunction_t)(void*);

inline BaseType_t xTaskCreatePinnedToCore(TaskFunction_t pxTaskCode, const char* const pcName,
                                          const uint32_t ulStackDepth, void* const pvParameters,
                                          UBaseType_t uxPriority, TaskHandle_t* const pxCreatedTask,
                                          const BaseType_t xCoreID) {
  (void)pcName, (void)ulStackDepth, (void)pvParameters, (void)uxPriority, (void)xCoreID;
  if (pxCreatedTask != nullptr) *pxCreatedTask = nullptr;
  return pxTaskCode != nullptr ? pdPASS : pdFALSE;
}

inline void vTaskDelay(const TickType_t xTicksToDelay) { (void)xTicksToDelay; }
