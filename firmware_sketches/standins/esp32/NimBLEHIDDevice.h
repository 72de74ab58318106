// Stand-in for NimBLEHIDDevice of NimBLE-Arduino (src/NimBLEHIDDevice.h and .cpp of the vendored commit
// 2c487b7, same API as the 2.x releases), as the wandlab_esp32s3 layer uses it. Declarations as in the
// library, bodies trivial.
//
// What the real class does (NimBLEHIDDevice.cpp), which the layer relies on: the constructor creates the
// Device Information (0x180A, with PnP ID), HID (0x1812: HID Information, Report Map, HID Control Point,
// Protocol Mode set to report mode) and Battery (0x180F) services on the server; getInputReport(id) makes
// a Report characteristic (read, notify, READ_ENC) with its Report Reference descriptor (id, input),
// getOutputReport(id) one with read/write/write-without-response (encrypted) and (id, output);
// setReportMap takes a non-const pointer; setHidInfo(country, flags) writes {0x11, 0x01, country, flags}.
#pragma once

#include "NimBLEDevice.h"

#define GENERIC_HID 0x03C0
#define HID_KEYBOARD 0x03C1
#define HID_MOUSE 0x03C2

class NimBLEHIDDevice {
 public:
  NimBLEHIDDevice(NimBLEServer* server)
      : device_info_(server->createService(NimBLEUUID(static_cast<uint16_t>(0x180a)))),
        hid_(server->createService(NimBLEUUID(static_cast<uint16_t>(0x1812)))),
        battery_(server->createService(NimBLEUUID(static_cast<uint16_t>(0x180f)))),
        battery_level_(battery_->createCharacteristic(NimBLEUUID(static_cast<uint16_t>(0x2a19)), READ | NOTIFY)) {}

  void setReportMap(uint8_t* map, uint16_t size) { (void)map, (void)size; }
  bool setManufacturer(const std::string& name) { return !name.empty(); }
  void setPnp(uint8_t sig, uint16_t vid, uint16_t pid, uint16_t version) { (void)sig, (void)vid, (void)pid, (void)version; }
  void setHidInfo(uint8_t country, uint8_t flags) { (void)country, (void)flags; }
  void setBatteryLevel(uint8_t level, bool notify = false) {
    battery_level_->setValue(&level, 1);
    if (notify) battery_level_->notify();
  }
  NimBLECharacteristic* getBatteryLevel() { return battery_level_; }
  NimBLECharacteristic* getInputReport(uint8_t reportId) { return report(reportId); }
  NimBLECharacteristic* getOutputReport(uint8_t reportId) { return report(reportId); }
  NimBLECharacteristic* getFeatureReport(uint8_t reportId) { return report(reportId); }
  NimBLECharacteristic* getProtocolMode() { return report(0); }
  NimBLECharacteristic* getBootInput() { return report(0); }
  NimBLECharacteristic* getBootOutput() { return report(0); }
  NimBLEService* getDeviceInfoService() { return device_info_; }
  NimBLEService* getHidService() { return hid_; }
  NimBLEService* getBatteryService() { return battery_; }

 private:
  NimBLECharacteristic* report(uint8_t reportId) {
    (void)reportId;
    return hid_->createCharacteristic(NimBLEUUID(static_cast<uint16_t>(0x2a4d)), READ | NOTIFY);
  }

  NimBLEService* device_info_;
  NimBLEService* hid_;
  NimBLEService* battery_;
  NimBLECharacteristic* battery_level_;
};
