// Stand-in for NimBLE-Arduino (h2zero/NimBLE-Arduino; the copy in ../shared/vendor/libraries is commit
// 2c487b7, 3.0.0-dev, whose server API is that of the 2.x releases) as the wandlab_esp32s3 layer uses it:
// the GATT server, advertising and security. The real NimBLEDevice.h includes the headers of all these
// classes; this one declares them in one file. Declarations as in the library, bodies trivial (compile and
// link on a PC, never run).
//
// Followed (src/ of that commit):
//   NimBLELocalValueAttribute.h  NIMBLE_PROPERTY values (the BLE_GATT_CHR_F_* flags of ble_gatt.h), setValue
//   NimBLEValueAttribute.h       getValue() returns a copy (NimBLEAttValue) of the value
//   NimBLEAttValue.h             data(), size(), length()
//   NimBLEUUID.h / .cpp          NimBLEUUID(const uint8_t*, size_t) takes the bytes little-endian
//                                (ble_uuid_init_from_buf), NimBLEUUID(uint16_t)
//   NimBLEConnInfo.h             getConnHandle, getMTU, isBonded, isEncrypted; constructed only by the library
//   NimBLECharacteristic.h       createDescriptor, notify(const uint8_t*, size_t, uint16_t connHandle),
//                                NimBLECharacteristicCallbacks::onWrite(chr, connInfo), onSubscribe(chr,
//                                connInfo, subValue)
//   NimBLEService.h              createCharacteristic(uuid, uint32_t properties, uint16_t max_len)
//   NimBLEServer.h               createService, start, setCallbacks(cb, deleteCallbacks), getPeerInfoByHandle,
//                                disconnect, advertiseOnDisconnect; NimBLEServerCallbacks::onConnect(server,
//                                connInfo), onDisconnect(server, connInfo, int reason), onMTUChange(MTU,
//                                connInfo), onAuthenticationComplete(connInfo)
//   NimBLEAdvertising.h          addServiceUUID, setAppearance, enableScanResponse, setName (into the scan
//                                response when it is enabled), setMinInterval, setMaxInterval, start
//   NimBLEDevice.h               init(const std::string&), setMTU, setSecurityAuth(bool bonding, bool mitm,
//                                bool sc), setSecurityIOCap, startSecurity(connHandle, int* rc), createServer,
//                                getAdvertising, deleteAllBonds, getNumBonds
//   nimble/.../ble_hs.h, ble_att.h, ble.h  BLE_HS_CONN_HANDLE_NONE, BLE_HS_IO_NO_INPUT_OUTPUT,
//                                BLE_ATT_ATTR_MAX_LEN, BLE_ERR_REM_USER_CONN_TERM
// Threads (NimBLEServer.cpp): every callback runs in the NimBLE host task, not in loop().
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#define BLE_HS_CONN_HANDLE_NONE 0xffff
#define BLE_HS_IO_DISPLAY_ONLY 0x00
#define BLE_HS_IO_DISPLAY_YESNO 0x01
#define BLE_HS_IO_KEYBOARD_ONLY 0x02
#define BLE_HS_IO_NO_INPUT_OUTPUT 0x03
#define BLE_HS_IO_KEYBOARD_DISPLAY 0x04
#define BLE_ATT_ATTR_MAX_LEN 512
#define BLE_ATT_MTU_MAX 527

enum { BLE_ERR_REM_USER_CONN_TERM = 0x13 };

typedef enum {
  READ = 0x0002,
  READ_ENC = 0x0200,
  READ_AUTHEN = 0x0400,
  READ_AUTHOR = 0x0800,
  WRITE = 0x0008,
  WRITE_NR = 0x0004,
  WRITE_ENC = 0x1000,
  WRITE_AUTHEN = 0x2000,
  WRITE_AUTHOR = 0x4000,
  BROADCAST = 0x0001,
  NOTIFY = 0x0010,
  INDICATE = 0x0020
} NIMBLE_PROPERTY;

class NimBLEAddress;
class NimBLEServer;
class NimBLEService;
class NimBLECharacteristic;

class NimBLEUUID {
 public:
  NimBLEUUID() = default;
  NimBLEUUID(const std::string& uuid) : bits_(uuid.size() > 8 ? 128 : 16) {}
  NimBLEUUID(uint16_t uuid) : bits_(16), short_(uuid) {}
  NimBLEUUID(uint32_t uuid) : bits_(32), short_(uuid) {}
  NimBLEUUID(const uint8_t* pData, size_t size) : bits_(static_cast<uint8_t>(size * 8)) {
    if (size <= sizeof(bytes_)) memcpy(bytes_, pData, size);
  }
  uint8_t bitSize() const { return bits_; }
  const uint8_t* getValue() const { return bytes_; }
  bool operator==(const NimBLEUUID& rhs) const { return bits_ == rhs.bits_ && short_ == rhs.short_; }
  bool operator!=(const NimBLEUUID& rhs) const { return !(*this == rhs); }

 private:
  uint8_t bits_ = 0;
  uint32_t short_ = 0;
  uint8_t bytes_[16] = {};
};

class NimBLEAttValue {
 public:
  NimBLEAttValue() = default;
  NimBLEAttValue(const uint8_t* value, uint16_t len, uint16_t max_len = BLE_ATT_ATTR_MAX_LEN)
      : bytes_(value, value + (len < max_len ? len : max_len)) {}
  uint16_t max_size() const { return BLE_ATT_ATTR_MAX_LEN; }
  uint16_t length() const { return static_cast<uint16_t>(bytes_.size()); }
  uint16_t size() const { return static_cast<uint16_t>(bytes_.size()); }
  const uint8_t* data() const { return bytes_.data(); }
  const uint8_t* begin() const { return bytes_.data(); }
  const uint8_t* end() const { return bytes_.data() + bytes_.size(); }

 private:
  std::vector<uint8_t> bytes_;
};

class NimBLEConnInfo {
 public:
  uint16_t getConnHandle() const { return conn_handle_; }
  uint16_t getMTU() const { return 23; }
  bool isMaster() const { return false; }
  bool isSlave() const { return true; }
  bool isBonded() const { return bonded_; }
  bool isEncrypted() const { return encrypted_; }
  bool isAuthenticated() const { return false; }
  uint8_t getSecKeySize() const { return 0; }

 private:
  friend class NimBLEServer;
  friend class NimBLECharacteristic;
  NimBLEConnInfo() {}
  uint16_t conn_handle_ = BLE_HS_CONN_HANDLE_NONE;
  bool bonded_ = false;
  bool encrypted_ = false;
};

class NimBLEDescriptor {
 public:
  void setValue(const uint8_t* data, size_t size) { value_ = NimBLEAttValue(data, static_cast<uint16_t>(size)); }
  NimBLEAttValue getValue() const { return value_; }

 private:
  NimBLEAttValue value_;
};

class NimBLECharacteristicCallbacks {
 public:
  virtual ~NimBLECharacteristicCallbacks() {}
  virtual void onRead(NimBLECharacteristic* pCharacteristic, NimBLEConnInfo& connInfo) {
    (void)pCharacteristic, (void)connInfo;
  }
  virtual void onWrite(NimBLECharacteristic* pCharacteristic, NimBLEConnInfo& connInfo) {
    (void)pCharacteristic, (void)connInfo;
  }
  virtual void onStatus(NimBLECharacteristic* pCharacteristic, NimBLEConnInfo& connInfo, int code) {
    (void)pCharacteristic, (void)connInfo, (void)code;
  }
  virtual void onSubscribe(NimBLECharacteristic* pCharacteristic, NimBLEConnInfo& connInfo, uint16_t subValue) {
    (void)pCharacteristic, (void)connInfo, (void)subValue;
  }
};

class NimBLECharacteristic {
 public:
  NimBLECharacteristic(const NimBLEUUID& uuid, uint16_t properties = READ | WRITE,
                       uint16_t maxLen = BLE_ATT_ATTR_MAX_LEN, NimBLEService* pService = nullptr)
      : uuid_(uuid), properties_(properties), max_len_(maxLen), service_(pService) {}

  uint16_t getProperties() const { return properties_; }
  const NimBLEUUID& getUUID() const { return uuid_; }
  void setCallbacks(NimBLECharacteristicCallbacks* pCallbacks) { callbacks_ = pCallbacks; }
  NimBLECharacteristicCallbacks* getCallbacks() const { return callbacks_; }
  NimBLEDescriptor* createDescriptor(const NimBLEUUID& uuid, uint32_t properties = READ | WRITE,
                                     uint16_t maxLen = BLE_ATT_ATTR_MAX_LEN) {
    (void)uuid, (void)properties, (void)maxLen;
    return new NimBLEDescriptor();
  }
  NimBLEService* getService() const { return service_; }

  void setValue(const uint8_t* data, size_t size) { value_ = NimBLEAttValue(data, static_cast<uint16_t>(size)); }
  void setValue(const char* str) { setValue(reinterpret_cast<const uint8_t*>(str), strlen(str)); }
  template <typename T>
  void setValue(const T& val) {
    setValue(reinterpret_cast<const uint8_t*>(&val), sizeof(T));
  }
  NimBLEAttValue getValue() const { return value_; }
  size_t getLength() const { return value_.size(); }

  bool notify(uint16_t connHandle = BLE_HS_CONN_HANDLE_NONE) const { return notify(value_.data(), value_.size(), connHandle); }
  bool notify(const uint8_t* value, size_t length, uint16_t connHandle = BLE_HS_CONN_HANDLE_NONE) const {
    (void)connHandle;
    return value != nullptr && length <= max_len_;
  }
  bool indicate(uint16_t connHandle = BLE_HS_CONN_HANDLE_NONE) const { return connHandle != 0; }

 private:
  NimBLEUUID uuid_;
  uint16_t properties_;
  uint16_t max_len_;
  NimBLEService* service_;
  NimBLECharacteristicCallbacks* callbacks_ = nullptr;
  NimBLEAttValue value_;
};

class NimBLEService {
 public:
  explicit NimBLEService(const NimBLEUUID& uuid) : uuid_(uuid) {}
  const NimBLEUUID& getUUID() const { return uuid_; }
  NimBLECharacteristic* createCharacteristic(const char* uuid, uint32_t properties = READ | WRITE,
                                             uint16_t max_len = BLE_ATT_ATTR_MAX_LEN) {
    return createCharacteristic(NimBLEUUID(std::string(uuid)), properties, max_len);
  }
  NimBLECharacteristic* createCharacteristic(const NimBLEUUID& uuid, uint32_t properties = READ | WRITE,
                                             uint16_t max_len = BLE_ATT_ATTR_MAX_LEN) {
    return new NimBLECharacteristic(uuid, static_cast<uint16_t>(properties), max_len, this);
  }
  bool isStarted() const { return false; }

 private:
  NimBLEUUID uuid_;
};

class NimBLEServerCallbacks {
 public:
  virtual ~NimBLEServerCallbacks() {}
  virtual void onConnect(NimBLEServer* pServer, NimBLEConnInfo& connInfo) { (void)pServer, (void)connInfo; }
  virtual void onDisconnect(NimBLEServer* pServer, NimBLEConnInfo& connInfo, int reason) {
    (void)pServer, (void)connInfo, (void)reason;
  }
  virtual void onMTUChange(uint16_t MTU, NimBLEConnInfo& connInfo) { (void)MTU, (void)connInfo; }
  virtual uint32_t onPassKeyDisplay() { return 123456; }
  virtual void onConfirmPassKey(NimBLEConnInfo& connInfo, uint32_t pin) { (void)connInfo, (void)pin; }
  virtual void onAuthenticationComplete(NimBLEConnInfo& connInfo) { (void)connInfo; }
  virtual void onIdentity(NimBLEConnInfo& connInfo) { (void)connInfo; }
};

class NimBLEAdvertising {
 public:
  bool start(uint32_t duration = 0, const NimBLEAddress* dirAddr = nullptr) {
    (void)duration, (void)dirAddr;
    return true;
  }
  bool stop() { return true; }
  bool isAdvertising() { return false; }
  void enableScanResponse(bool enable) { scan_response_ = enable; }
  void setMinInterval(uint16_t minInterval) { (void)minInterval; }
  void setMaxInterval(uint16_t maxInterval) { (void)maxInterval; }
  bool addServiceUUID(const NimBLEUUID& serviceUUID) { return serviceUUID.bitSize() != 0; }
  bool addServiceUUID(const char* serviceUUID) { return serviceUUID != nullptr; }
  bool setAppearance(uint16_t appearance) { return appearance != 0; }
  bool setName(const std::string& name) { return !name.empty(); }
  bool setPreferredParams(uint16_t minInterval, uint16_t maxInterval) { return minInterval <= maxInterval; }

 private:
  bool scan_response_ = false;
};

class NimBLEServer {
 public:
  bool start() { return true; }
  uint8_t getConnectedCount() const { return 0; }
  bool disconnect(uint16_t connHandle, uint8_t reason = BLE_ERR_REM_USER_CONN_TERM) const {
    (void)reason;
    return connHandle != BLE_HS_CONN_HANDLE_NONE;
  }
  void setCallbacks(NimBLEServerCallbacks* pCallbacks, bool deleteCallbacks = true) {
    callbacks_ = pCallbacks;
    (void)deleteCallbacks;
  }
  NimBLEService* createService(const char* uuid) { return createService(NimBLEUUID(std::string(uuid))); }
  NimBLEService* createService(const NimBLEUUID& uuid) { return new NimBLEService(uuid); }
  uint16_t getPeerMTU(uint16_t connHandle) const { return connHandle != BLE_HS_CONN_HANDLE_NONE ? 23 : 0; }
  NimBLEConnInfo getPeerInfoByHandle(uint16_t connHandle) const {
    NimBLEConnInfo info;
    info.conn_handle_ = connHandle;
    return info;
  }
  void advertiseOnDisconnect(bool enable) { (void)enable; }
  NimBLEAdvertising* getAdvertising() const;

 private:
  friend class NimBLEDevice;
  NimBLEServer() = default;
  NimBLEServerCallbacks* callbacks_ = nullptr;
};

class NimBLEDevice {
 public:
  static bool init(const std::string& deviceName) { return !deviceName.empty(); }
  static bool deinit(bool clearAll = false) {
    (void)clearAll;
    return true;
  }
  static bool isInitialized() { return true; }
  static bool setDeviceName(const std::string& deviceName) { return !deviceName.empty(); }
  static void setSecurityAuth(bool bonding, bool mitm, bool sc) { (void)bonding, (void)mitm, (void)sc; }
  static void setSecurityAuth(uint8_t auth) { (void)auth; }
  static void setSecurityIOCap(uint8_t iocap) { (void)iocap; }
  static bool startSecurity(uint16_t connHandle, int* rcPtr = nullptr) {
    if (rcPtr != nullptr) *rcPtr = 0;
    return connHandle != BLE_HS_CONN_HANDLE_NONE;
  }
  static bool setMTU(uint16_t mtu) { return mtu >= 23 && mtu <= BLE_ATT_MTU_MAX; }
  static uint16_t getMTU() { return 255; }
  static NimBLEServer* createServer() { return server(); }
  static NimBLEServer* getServer() { return server(); }
  static NimBLEAdvertising* getAdvertising() {
    static NimBLEAdvertising advertising;
    return &advertising;
  }
  static bool startAdvertising(uint32_t duration = 0) { return getAdvertising()->start(duration); }
  static bool stopAdvertising() { return getAdvertising()->stop(); }
  static bool deleteAllBonds() { return true; }
  static int getNumBonds() { return 0; }

 private:
  static NimBLEServer* server() {
    static NimBLEServer s;
    return &s;
  }
};

inline NimBLEAdvertising* NimBLEServer::getAdvertising() const { return NimBLEDevice::getAdvertising(); }
