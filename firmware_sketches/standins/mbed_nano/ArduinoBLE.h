// Stand-in for ArduinoBLE (arduino-libraries/ArduinoBLE 1.4.x) as the wandlab_nano33_ble_sense layer uses
// it: the local (peripheral) side only. Declarations as in the library, bodies trivial (compile and link on
// a PC, never run).
//
// Followed (arduino-libraries/ArduinoBLE):
//   src/BLEProperty.h                    BLERead .. BLEIndicate values
//   src/BLECharacteristic.h (commit 9e15c78 era, 1.3+: uint16_t permissions, writeValue(..., withResponse))
//       constructors (uuid, permissions, valueSize, fixedLength) and (uuid, permissions, const char* value),
//       value(), valueLength(), writeValue overloads, subscribed(), setEventHandler(int, handler)
//   src/BLEService.h                     BLEService(const char* uuid), addCharacteristic(BLECharacteristic&)
//   src/BLEDevice.h                      BLEDeviceEvent, BLEDeviceEventHandler, connected()
//   src/local/BLELocalDevice.h (commit e2868a7) begin, poll, connected, disconnect, setAdvertisedService,
//       setLocalName, setDeviceName, addService, advertise, setEventHandler, setConnectionInterval;
//       extern BLELocalDevice& BLE
// The library keeps the uuid pointers it is given (BLEUuid stores the string): they must outlive the objects.
#pragma once

#include <Arduino.h>

enum BLEProperty {
  BLEBroadcast = 0x01,
  BLERead = 0x02,
  BLEWriteWithoutResponse = 0x04,
  BLEWrite = 0x08,
  BLENotify = 0x10,
  BLEIndicate = 0x20,
};

enum BLECharacteristicEvent {
  BLESubscribed = 0,
  BLEUnsubscribed = 1,
  BLEWritten = 3,
  BLEUpdated = BLEWritten,
  BLECharacteristicEventLast
};

enum BLEDeviceEvent { BLEConnected = 0, BLEDisconnected = 1, BLEDiscovered = 2, BLEDeviceLastEvent };

class BLEDevice {
 public:
  BLEDevice() = default;
  virtual ~BLEDevice() = default;
  virtual bool connected() const { return false; }
  virtual bool disconnect() { return true; }
  virtual operator bool() const { return false; }
};

typedef void (*BLEDeviceEventHandler)(BLEDevice device);

class BLECharacteristic;
typedef void (*BLECharacteristicEventHandler)(BLEDevice device, BLECharacteristic characteristic);

class BLECharacteristic {
 public:
  BLECharacteristic() = default;
  BLECharacteristic(const char* uuid, uint16_t permissions, int valueSize, bool fixedLength = false)
      : uuid_(uuid), properties_(static_cast<uint8_t>(permissions)), size_(valueSize), fixed_(fixedLength) {}
  BLECharacteristic(const char* uuid, uint16_t permissions, const char* value)
      : uuid_(uuid), properties_(static_cast<uint8_t>(permissions)), size_(static_cast<int>(strlen(value))) {}
  BLECharacteristic(const BLECharacteristic& other) = default;
  virtual ~BLECharacteristic() = default;

  const char* uuid() const { return uuid_; }
  uint8_t properties() const { return properties_; }
  int valueSize() const { return size_; }
  const uint8_t* value() const { return nullptr; }
  int valueLength() const { return 0; }

  int writeValue(const uint8_t value[], int length, bool withResponse = true) {
    (void)withResponse;
    return value != nullptr && length <= size_;
  }
  int writeValue(const void* value, int length, bool withResponse = true) {
    return writeValue(static_cast<const uint8_t*>(value), length, withResponse);
  }
  int writeValue(const char* value, bool withResponse = true) {
    return writeValue(value, static_cast<int>(strlen(value)), withResponse);
  }
  int writeValue(uint8_t value, bool withResponse = true) { return writeValue(&value, 1, withResponse); }
  int writeValue(int8_t value, bool withResponse = true) { return writeValue(&value, 1, withResponse); }
  int writeValue(uint16_t value, bool withResponse = true) { return writeValue(&value, 2, withResponse); }
  int writeValue(int16_t value, bool withResponse = true) { return writeValue(&value, 2, withResponse); }
  int writeValue(uint32_t value, bool withResponse = true) { return writeValue(&value, 4, withResponse); }
  int writeValue(int32_t value, bool withResponse = true) { return writeValue(&value, 4, withResponse); }

  bool written() { return false; }
  bool subscribed() { return false; }
  void setEventHandler(int event, BLECharacteristicEventHandler eventHandler) {
    (void)event;
    (void)eventHandler;
  }
  operator bool() const { return uuid_ != nullptr; }

 private:
  const char* uuid_ = nullptr;
  uint8_t properties_ = 0;
  int size_ = 0;
  bool fixed_ = false;
};

class BLEService {
 public:
  BLEService() = default;
  BLEService(const char* uuid) : uuid_(uuid) {}
  BLEService(const BLEService& other) = default;
  virtual ~BLEService() = default;
  const char* uuid() const { return uuid_; }
  void addCharacteristic(BLECharacteristic& characteristic) { (void)characteristic; }
  operator bool() const { return uuid_ != nullptr; }

 private:
  const char* uuid_ = nullptr;
};

class BLELocalDevice {
 public:
  BLELocalDevice() = default;
  virtual ~BLELocalDevice() = default;

  virtual int begin() { return 1; }
  virtual void end() {}
  virtual void poll() {}
  virtual void poll(unsigned long timeout) { (void)timeout; }
  virtual bool connected() const { return false; }
  virtual bool disconnect() { return true; }

  virtual bool setAdvertisedServiceUuid(const char* advertisedServiceUuid) { return advertisedServiceUuid != nullptr; }
  virtual bool setAdvertisedService(const BLEService& service) { return static_cast<bool>(service); }
  virtual bool setLocalName(const char* localName) { return localName != nullptr; }
  virtual void setDeviceName(const char* deviceName) { (void)deviceName; }
  virtual void setAppearance(uint16_t appearance) { (void)appearance; }
  virtual void addService(BLEService& service) { (void)service; }
  virtual int advertise() { return 1; }
  virtual void stopAdvertise() {}
  virtual void setAdvertisingInterval(uint16_t advertisingInterval) { (void)advertisingInterval; }
  virtual void setConnectionInterval(uint16_t minimumConnectionInterval, uint16_t maximumConnectionInterval) {
    (void)minimumConnectionInterval;
    (void)maximumConnectionInterval;
  }
  virtual void setConnectable(bool connectable) { (void)connectable; }
  virtual void setEventHandler(BLEDeviceEvent event, BLEDeviceEventHandler eventHandler) {
    (void)event;
    (void)eventHandler;
  }
};

inline BLELocalDevice wandlab_standin_ble;
inline BLELocalDevice& BLE = wandlab_standin_ble;
