#include "ble_link.h"

#include <Arduino.h>
#include <NimBLEDevice.h>
#include <NimBLEHIDDevice.h>

#include "gatt_layout.h"
#include "messages.h"

namespace wandlab {
namespace esp32s3 {
namespace {

namespace g = gatt;

constexpr uint16_t kMaxFragment = protocol::fragment_payload_size(protocol::kMaxAttMtu);  // 244
constexpr size_t kPacketsPerPoll = 4;  // notifications may wait for radio buffers: bound the time
constexpr size_t kInfoNameBytes = 64;
// PnP ID: vendor id source 2 (USB-IF), Seeed's VID 0x2886, the XIAO ESP32S3's PID 0x0056, version 0x0100.
constexpr uint8_t kPnpVendorIdSource = 0x02;
constexpr uint16_t kUsbVid = 0x2886;
constexpr uint16_t kUsbPid = 0x0056;
constexpr uint16_t kPnpVersion = 0x0100;
// NimBLEHIDDevice::setHidInfo writes bcdHID 1.11 itself; the country code and flags are ours.
static_assert(g::kHidInformation[0] == 0x11 && g::kHidInformation[1] == 0x01, "NimBLEHIDDevice writes bcdHID 1.11");

// NimBLE owns the attribute objects (it allocates them once, at begin()); these are the ones loop() uses.
struct Gatt {
  NimBLEServer* server = nullptr;
  NimBLECharacteristic* packet_out = nullptr;
  NimBLECharacteristic* input_reports[4] = {};  // by report id: keyboard 1, consumer 2, mouse 3
};

Gatt& objects() {
  static Gatt gatt_objects;
  return gatt_objects;
}

// NimBLE's callbacks reach the one BleLink through this.
BleLink*& instance() {
  static BleLink* link = nullptr;
  return link;
}

// Host task.
class ServerCallbacks : public NimBLEServerCallbacks {
 public:
  void onConnect(NimBLEServer* /*server*/, NimBLEConnInfo& info) override {
    if (instance() != nullptr) instance()->on_connect(info.getConnHandle());
  }
  void onDisconnect(NimBLEServer* /*server*/, NimBLEConnInfo& info, int /*reason*/) override {
    if (instance() != nullptr) instance()->on_disconnect(info.getConnHandle());
  }
};

// Host task.
class PacketCallbacks : public NimBLECharacteristicCallbacks {
 public:
  void onWrite(NimBLECharacteristic* characteristic, NimBLEConnInfo& info) override {
    // getValue() copies the value (NimBLE's allocation, in its own task): the fragment just written.
    const NimBLEAttValue value = characteristic->getValue();
    if (instance() != nullptr) instance()->on_fragment_written(info.getConnHandle(), value.data(), value.size());
  }
  void onSubscribe(NimBLECharacteristic* /*characteristic*/, NimBLEConnInfo& /*info*/, uint16_t sub_value) override {
    if (instance() != nullptr) instance()->on_subscribe((sub_value & 0x0001) != 0);
  }
};

ServerCallbacks& server_callbacks() {
  static ServerCallbacks callbacks;
  return callbacks;
}

PacketCallbacks& packet_callbacks() {
  static PacketCallbacks callbacks;
  return callbacks;
}

NimBLEUUID uuid128(const uint8_t (&little_endian)[16]) { return NimBLEUUID(little_endian, sizeof(little_endian)); }

// Device Information, HID and Battery, as NimBLEHIDDevice lays them out; the report map and report ids of
// gatt_layout.h. The library leaves HID Information, Report Map and Protocol Mode readable without
// encryption (the XIAO encrypts them): hosts pair anyway, at the first encrypted report.
void begin_hid(Gatt& gatt_objects, const char* firmware_version) {
  static NimBLEHIDDevice hid(gatt_objects.server);
  static uint8_t report_map[sizeof(g::kReportMap)];  // setReportMap() takes a non-const pointer
  memcpy(report_map, g::kReportMap, sizeof(report_map));
  hid.setReportMap(report_map, static_cast<uint16_t>(sizeof(report_map)));
  hid.setManufacturer("Wandlab");
  hid.setPnp(kPnpVendorIdSource, kUsbVid, kUsbPid, kPnpVersion);
  hid.setHidInfo(g::kHidInformation[2], g::kHidInformation[3]);
  gatt_objects.input_reports[g::kKeyboardId] = hid.getInputReport(g::kKeyboardId);
  hid.getOutputReport(g::kKeyboardId);  // the keyboard's LEDs: accepted, not shown
  gatt_objects.input_reports[g::kConsumerId] = hid.getInputReport(g::kConsumerId);
  gatt_objects.input_reports[g::kMouseId] = hid.getInputReport(g::kMouseId);
  hid.getBootInput();
  hid.getBootOutput();
  hid.setBatteryLevel(100);  // no gauge on this board: "full", as the XIAO reports on USB power
  NimBLEService* device_information = hid.getDeviceInfoService();
  device_information->createCharacteristic(NimBLEUUID(static_cast<uint16_t>(0x2A24)), NIMBLE_PROPERTY::READ)
      ->setValue("XIAO ESP32S3 Sense");
  device_information->createCharacteristic(NimBLEUUID(static_cast<uint16_t>(0x2A26)), NIMBLE_PROPERTY::READ)
      ->setValue(firmware_version);
}

}  // namespace

bool BleLink::begin(const char* name, const char* firmware_version) {
  instance() = this;
  if (!NimBLEDevice::init(name)) return false;
  // The app asks for 247: one 244-byte fragment per link-layer packet with data length extension.
  NimBLEDevice::setMTU(static_cast<uint16_t>(protocol::kMaxAttMtu));
  // LE Secure Connections with bonding, "Just Works": MITM protection would need a display or keys.
  NimBLEDevice::setSecurityAuth(true, false, true);
  NimBLEDevice::setSecurityIOCap(BLE_HS_IO_NO_INPUT_OUTPUT);

  Gatt& gatt_objects = objects();
  gatt_objects.server = NimBLEDevice::createServer();
  gatt_objects.server->setCallbacks(&server_callbacks(), false);
  gatt_objects.server->advertiseOnDisconnect(true);

  NimBLEService* wandlab = gatt_objects.server->createService(uuid128(g::kServiceUuid));
  gatt_objects.packet_out = wandlab->createCharacteristic(uuid128(g::kPacketOutUuid), NIMBLE_PROPERTY::NOTIFY, kMaxFragment);
  gatt_objects.packet_out->setCallbacks(&packet_callbacks());
  NimBLECharacteristic* packet_in = wandlab->createCharacteristic(
      uuid128(g::kPacketInUuid), NIMBLE_PROPERTY::WRITE | NIMBLE_PROPERTY::WRITE_NR, kMaxFragment);
  packet_in->setCallbacks(&packet_callbacks());
  // info: u16 protocol version, u16 largest packet, board name (UTF-8, at most 64 bytes).
  uint8_t info[4 + kInfoNameBytes];
  const size_t name_len = strlen(name) > kInfoNameBytes ? kInfoNameBytes : strlen(name);
  info[0] = static_cast<uint8_t>(protocol::kProtocolVersion);
  info[1] = static_cast<uint8_t>(protocol::kProtocolVersion >> 8);
  info[2] = static_cast<uint8_t>(protocol::kMaxPacket);
  info[3] = static_cast<uint8_t>(protocol::kMaxPacket >> 8);
  memcpy(info + 4, name, name_len);
  wandlab->createCharacteristic(uuid128(g::kInfoUuid), NIMBLE_PROPERTY::READ, static_cast<uint16_t>(sizeof(info)))
      ->setValue(info, 4 + name_len);

  begin_hid(gatt_objects, firmware_version);
  const bool started = gatt_objects.server->start();

  // Advertising: flags, HID appearance, the Wandlab service (25 of 31 bytes); the name in the scan response.
  NimBLEAdvertising* advertising = NimBLEDevice::getAdvertising();
  advertising->setAppearance(g::kAppearanceHidKeyboard);
  advertising->addServiceUUID(uuid128(g::kServiceUuid));
  advertising->enableScanResponse(true);
  advertising->setName(name);
  advertising->setMinInterval(32);   // 20 ms
  advertising->setMaxInterval(244);  // 152.5 ms (units of 0.625 ms)
  return started && advertising->start();
}

bool BleLink::connected() const { return conn_.load(std::memory_order_acquire) != BLE_HS_CONN_HANDLE_NONE; }

void BleLink::forget_bonds() {
  const uint16_t conn = conn_.load(std::memory_order_acquire);
  if (conn != BLE_HS_CONN_HANDLE_NONE) objects().server->disconnect(conn);
  NimBLEDevice::deleteAllBonds();
}

bool BleLink::send_input_report(uint8_t report_id, const uint8_t* value, size_t size) {
  const uint16_t conn = conn_.load(std::memory_order_acquire);
  if (report_id >= 4 || objects().input_reports[report_id] == nullptr || conn == BLE_HS_CONN_HANDLE_NONE ||
      !trusted(conn)) {
    return false;
  }
  NimBLECharacteristic* report = objects().input_reports[report_id];
  report->setValue(value, size);  // a later read gets the same report
  return report->notify(value, size, conn);
}

bool BleLink::trusted(uint16_t conn) const {
  const NimBLEConnInfo info = objects().server->getPeerInfoByHandle(conn);
  return info.isEncrypted() && info.isBonded();
}

// -- host task ------------------------------------------------------------------------------------

void BleLink::on_connect(uint16_t conn) {
  conn_.store(conn, std::memory_order_release);
  notify_.store(false, std::memory_order_release);
  link_events_.fetch_add(1, std::memory_order_acq_rel);
}

void BleLink::on_disconnect(uint16_t conn) {
  if (conn_.load(std::memory_order_acquire) == conn) conn_.store(BLE_HS_CONN_HANDLE_NONE, std::memory_order_release);
  notify_.store(false, std::memory_order_release);
  link_events_.fetch_add(1, std::memory_order_acq_rel);
}

void BleLink::on_subscribe(bool notifications) { notify_.store(notifications, std::memory_order_release); }

void BleLink::on_fragment_written(uint16_t conn, const uint8_t* data, size_t size) {
  if (conn != conn_.load(std::memory_order_acquire) || size == 0 || size > kMaxFragment) return;
  const uint32_t head = rx_head_.load(std::memory_order_relaxed);
  const uint32_t used = head - rx_tail_.load(std::memory_order_acquire);
  if (kRxBytes - used < size + 1) return;  // loop() is behind: the reassembler sees the counter gap
  rx_[head % kRxBytes] = static_cast<uint8_t>(size);
  for (size_t i = 0; i < size; ++i) rx_[(head + 1 + i) % kRxBytes] = data[i];
  rx_head_.store(head + 1 + static_cast<uint32_t>(size), std::memory_order_release);
}

// -- loop() ---------------------------------------------------------------------------------------

void BleLink::poll(board::Board& board) {
  board_ = &board;
  const uint32_t events = link_events_.load(std::memory_order_acquire);
  if (events != seen_link_events_) {
    // A connection came or went: both directions count fragments from 0 again.
    seen_link_events_ = events;
    reassembler_.reset();
    fragmenter_.reset();
    tx_size_ = 0;
    security_requested_ = false;
    if (was_connected_ && board.link() == this) board.disconnected();
  }
  was_connected_ = connected();
  uint8_t fragment[kMaxFragment];
  for (uint32_t tail = rx_tail_.load(std::memory_order_relaxed); tail != rx_head_.load(std::memory_order_acquire);
       tail = rx_tail_.load(std::memory_order_relaxed)) {
    const size_t size = rx_[tail % kRxBytes];
    for (size_t i = 0; i < size; ++i) fragment[i] = rx_[(tail + 1 + i) % kRxBytes];
    rx_tail_.store(tail + 1 + static_cast<uint32_t>(size), std::memory_order_release);
    reassembler_.feed(fragment, size, *this);
  }
  flush();
}

void BleLink::on_packet(const protocol::Packet& packet) {
  if (board_ == nullptr) return;
  board_->use_link(*this, board::Framing::kPacket);
  const uint16_t conn = conn_.load(std::memory_order_acquire);
  if (packet.type >= g::kFirstProtectedType && !trusted(conn)) {
    // Dropped whole: it changes nothing. The central is asked to pair once per connection.
    ++refused_;
    if (!security_requested_) security_requested_ = NimBLEDevice::startSecurity(conn);
    board_->reply_error(packet.seq, protocol::ErrorCode::kBusy, g::kNotBondedError);
    return;
  }
  board_->receive_packet(packet);
}

bool BleLink::write(const uint8_t* data, size_t size) {
  if (!connected() || size + 2 > kTxBytes - tx_size_) return false;
  tx_[tx_size_] = static_cast<uint8_t>(size);
  tx_[tx_size_ + 1] = static_cast<uint8_t>(size >> 8);
  memcpy(tx_ + tx_size_ + 2, data, size);
  tx_size_ += size + 2;
  return true;
}

size_t BleLink::room() const {
  if (!connected() || !notify_.load(std::memory_order_acquire) || tx_size_ >= kTxDroppableLimit) return 0;
  return kTxDroppableLimit - tx_size_;
}

bool BleLink::on_fragment(const uint8_t* data, size_t size) {
  // False when NimBLE has no buffer for it (the packet is lost whole, see flush()).
  return objects().packet_out->notify(data, size, conn_.load(std::memory_order_acquire));
}

void BleLink::flush() {
  const uint16_t conn = conn_.load(std::memory_order_acquire);
  if (conn == BLE_HS_CONN_HANDLE_NONE) {
    tx_size_ = 0;
    return;
  }
  const uint16_t mtu = objects().server->getPeerMTU(conn);
  fragmenter_.set_att_mtu(mtu < protocol::kMaxAttMtu ? mtu : protocol::kMaxAttMtu);
  size_t offset = 0;
  for (size_t sent = 0; sent < kPacketsPerPoll && offset < tx_size_; ++sent) {
    const size_t size = static_cast<size_t>(tx_[offset] | tx_[offset + 1] << 8);
    // A packet whose fragments could not all go out is lost whole; the host counts the gap.
    fragmenter_.send(tx_ + offset + 2, size, *this);
    offset += size + 2;
  }
  memmove(tx_, tx_ + offset, tx_size_ - offset);
  tx_size_ -= offset;
}

}  // namespace esp32s3
}  // namespace wandlab
