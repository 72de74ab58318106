#include "ble_link.h"

#include <Arduino.h>
#include <bluefruit.h>

#include "gatt_layout.h"
#include "messages.h"

namespace wandlab {
namespace xiao {
namespace {

namespace g = gatt;

constexpr uint16_t kMaxFragment = protocol::fragment_payload_size(protocol::kMaxAttMtu);  // 244
constexpr size_t kPacketsPerPoll = 4;  // notifications may wait for radio buffers: bound the time

// The SoftDevice keeps pointers to these: they live as long as the program.
struct Services {
  BLEService wandlab{BLEUuid(g::kServiceUuid)};
  BLECharacteristic packet_out{BLEUuid(g::kPacketOutUuid)};
  BLECharacteristic packet_in{BLEUuid(g::kPacketInUuid)};
  BLECharacteristic info{BLEUuid(g::kInfoUuid)};
  BLEDis device_information;
  BLEBas battery;
  BLEService hid{BLEUuid(UUID16_SVC_HUMAN_INTERFACE_DEVICE)};
  BLECharacteristic hid_info{BLEUuid(UUID16_CHR_HID_INFORMATION)};
  BLECharacteristic report_map{BLEUuid(UUID16_CHR_REPORT_MAP)};
  BLECharacteristic keyboard_in{BLEUuid(UUID16_CHR_REPORT)};
  BLECharacteristic keyboard_leds{BLEUuid(UUID16_CHR_REPORT)};
  BLECharacteristic consumer_in{BLEUuid(UUID16_CHR_REPORT)};
  BLECharacteristic mouse_in{BLEUuid(UUID16_CHR_REPORT)};
  BLECharacteristic protocol_mode{BLEUuid(UUID16_CHR_PROTOCOL_MODE)};
  BLECharacteristic control_point{BLEUuid(UUID16_CHR_HID_CONTROL_POINT)};
  BLECharacteristic boot_keyboard_in{BLEUuid(UUID16_CHR_BOOT_KEYBOARD_INPUT_REPORT)};
  BLECharacteristic boot_keyboard_out{BLEUuid(UUID16_CHR_BOOT_KEYBOARD_OUTPUT_REPORT)};
};

Services& services() {
  static Services s;
  return s;
}

// Bluefruit's callbacks are plain functions: they reach the one BleLink through this.
BleLink*& instance() {
  static BleLink* link = nullptr;
  return link;
}

bool trusted(uint16_t conn) {
  BLEConnection* c = Bluefruit.Connection(conn);
  return c != nullptr && c->secured() && c->bonded();
}

void connect_cb(uint16_t conn) {
  if (instance() != nullptr) instance()->on_connect(conn);
}

void disconnect_cb(uint16_t conn, uint8_t /*reason*/) {
  if (instance() != nullptr) instance()->on_disconnect(conn);
}

// Write commands (write without response) arrive here; the SoftDevice asks no authorization for them.
void packet_in_written(uint16_t conn, BLECharacteristic* /*chr*/, uint8_t* data, uint16_t len) {
  if (instance() != nullptr) instance()->on_fragment_written(conn, data, len);
}

// Write requests ask first: refused ones get ATT error 0x05 and change nothing.
void packet_in_authorize(uint16_t conn, BLECharacteristic* /*chr*/, ble_gatts_evt_write_t* request) {
  const bool ok = instance() != nullptr && instance()->on_fragment_written(conn, request->data, request->len);
  ble_gatts_rw_authorize_reply_params_t reply = {};
  reply.type = BLE_GATTS_AUTHORIZE_TYPE_WRITE;
  reply.params.write.gatt_status = ok ? BLE_GATT_STATUS_SUCCESS : BLE_GATT_STATUS_ATTERR_INSUF_AUTHENTICATION;
  reply.params.write.update = ok ? 1 : 0;
  reply.params.write.offset = request->offset;
  reply.params.write.len = request->len;
  reply.params.write.p_data = request->data;
  sd_ble_gatts_rw_authorize_reply(conn, &reply);
}

err_t begin_characteristic(BLECharacteristic& chr, uint8_t properties, SecureMode_t read, SecureMode_t write,
                           uint16_t max_len, bool fixed) {
  chr.setProperties(properties);
  chr.setPermission(read, write);
  if (fixed) {
    chr.setFixedLen(max_len);
  } else {
    chr.setMaxLen(max_len);
  }
  return chr.begin();
}

bool begin_hid(Services& s) {
  // Order and security as docs/protocol.md's table: everything in the HID service needs encryption.
  const SecureMode_t enc = SECMODE_ENC_NO_MITM;
  bool ok = s.hid.begin() == ERROR_NONE;
  ok &= begin_characteristic(s.hid_info, CHR_PROPS_READ, enc, SECMODE_NO_ACCESS, sizeof(g::kHidInformation), true) ==
        ERROR_NONE;
  s.hid_info.write(g::kHidInformation, sizeof(g::kHidInformation));
  ok &= begin_characteristic(s.report_map, CHR_PROPS_READ, enc, SECMODE_NO_ACCESS, sizeof(g::kReportMap), true) ==
        ERROR_NONE;
  s.report_map.write(g::kReportMap, sizeof(g::kReportMap));
  s.keyboard_in.setReportRefDescriptor(g::kKeyboardId, g::kReportTypeInput);
  ok &= begin_characteristic(s.keyboard_in, CHR_PROPS_READ | CHR_PROPS_NOTIFY, enc, SECMODE_NO_ACCESS,
                             g::kKeyboardReportBytes, true) == ERROR_NONE;
  s.keyboard_leds.setReportRefDescriptor(g::kKeyboardId, g::kReportTypeOutput);
  ok &= begin_characteristic(s.keyboard_leds, CHR_PROPS_READ | CHR_PROPS_WRITE | CHR_PROPS_WRITE_WO_RESP, enc, enc,
                             1, true) == ERROR_NONE;
  s.keyboard_leds.write8(0);
  s.consumer_in.setReportRefDescriptor(g::kConsumerId, g::kReportTypeInput);
  ok &= begin_characteristic(s.consumer_in, CHR_PROPS_READ | CHR_PROPS_NOTIFY, enc, SECMODE_NO_ACCESS,
                             g::kConsumerReportBytes, true) == ERROR_NONE;
  s.mouse_in.setReportRefDescriptor(g::kMouseId, g::kReportTypeInput);
  ok &= begin_characteristic(s.mouse_in, CHR_PROPS_READ | CHR_PROPS_NOTIFY, enc, SECMODE_NO_ACCESS,
                             g::kMouseReportBytes, true) == ERROR_NONE;
  ok &= begin_characteristic(s.protocol_mode, CHR_PROPS_READ | CHR_PROPS_WRITE_WO_RESP, enc, enc, 1, true) ==
        ERROR_NONE;
  s.protocol_mode.write8(g::kProtocolModeReport);
  ok &= begin_characteristic(s.control_point, CHR_PROPS_WRITE_WO_RESP, SECMODE_NO_ACCESS, enc, 1, true) == ERROR_NONE;
  ok &= begin_characteristic(s.boot_keyboard_in, CHR_PROPS_READ | CHR_PROPS_NOTIFY, enc, SECMODE_NO_ACCESS,
                             g::kKeyboardReportBytes, true) == ERROR_NONE;
  ok &= begin_characteristic(s.boot_keyboard_out, CHR_PROPS_READ | CHR_PROPS_WRITE | CHR_PROPS_WRITE_WO_RESP, enc,
                             enc, 1, true) == ERROR_NONE;
  s.boot_keyboard_out.write8(0);
  return ok;
}

}  // namespace

bool BleLink::begin(const char* name, const char* firmware_version) {
  instance() = this;
  Services& s = services();
  // MTU 247 and long connection events: one fragment per link-layer packet (docs/protocol.md).
  Bluefruit.configPrphBandwidth(BANDWIDTH_MAX);
  if (!Bluefruit.begin(1, 0)) return false;
  Bluefruit.autoConnLed(false);  // the board layer owns the LED
  Bluefruit.setName(name);
  Bluefruit.setAppearance(g::kAppearanceHidKeyboard);
  Bluefruit.Security.setIOCaps(false, false, false);  // Just Works with LE Secure Connections, bonded
  Bluefruit.Periph.setConnectCallback(connect_cb);
  Bluefruit.Periph.setDisconnectCallback(disconnect_cb);

  bool ok = s.wandlab.begin() == ERROR_NONE;
  ok &= begin_characteristic(s.packet_out, CHR_PROPS_NOTIFY, SECMODE_OPEN, SECMODE_NO_ACCESS, kMaxFragment, false) ==
        ERROR_NONE;
  s.packet_in.setWriteCallback(packet_in_written, false);      // in the BLE task: it only queues
  s.packet_in.setWriteAuthorizeCallback(packet_in_authorize, false);
  ok &= begin_characteristic(s.packet_in, CHR_PROPS_WRITE | CHR_PROPS_WRITE_WO_RESP, SECMODE_OPEN, SECMODE_OPEN,
                             kMaxFragment, false) == ERROR_NONE;
  // info: u16 protocol version, u16 largest packet, board name (UTF-8, at most 64 bytes).
  uint8_t info[4 + 64];
  size_t name_len = strlen(name) > 64 ? 64 : strlen(name);
  info[0] = static_cast<uint8_t>(protocol::kProtocolVersion);
  info[1] = static_cast<uint8_t>(protocol::kProtocolVersion >> 8);
  info[2] = static_cast<uint8_t>(protocol::kMaxPacket);
  info[3] = static_cast<uint8_t>(protocol::kMaxPacket >> 8);
  memcpy(info + 4, name, name_len);
  ok &= begin_characteristic(s.info, CHR_PROPS_READ, SECMODE_OPEN, SECMODE_NO_ACCESS,
                             static_cast<uint16_t>(4 + name_len), true) == ERROR_NONE;
  s.info.write(info, static_cast<uint16_t>(4 + name_len));

  ok &= s.battery.begin() == ERROR_NONE;
  s.battery.write(battery_ == 255 ? 100 : battery_);
  s.device_information.setManufacturer("Wandlab");
  s.device_information.setModel("XIAO nRF52840 Sense");
  s.device_information.setFirmwareRev(firmware_version);
  // PnP ID: vendor id source 2 (USB-IF), Seeed's VID 0x2886, product 0x8045, version 0x0100.
  static const char pnp_id[7] = {0x02, static_cast<char>(0x86), 0x28, 0x45, static_cast<char>(0x80), 0x00, 0x01};
  s.device_information.setPNPID(pnp_id, sizeof(pnp_id));
  ok &= s.device_information.begin() == ERROR_NONE;
  ok &= begin_hid(s);

  // Advertising: flags, HID appearance, the Wandlab service; the name in the scan response.
  Bluefruit.Advertising.addFlags(BLE_GAP_ADV_FLAGS_LE_ONLY_GENERAL_DISC_MODE);
  Bluefruit.Advertising.addAppearance(g::kAppearanceHidKeyboard);
  Bluefruit.Advertising.addService(s.wandlab);
  Bluefruit.ScanResponse.addName();
  Bluefruit.Advertising.restartOnDisconnect(true);
  Bluefruit.Advertising.setInterval(32, 244);  // 20 ms fast for 30 s, then 152.5 ms (units of 0.625 ms)
  Bluefruit.Advertising.setFastTimeout(30);
  Bluefruit.Advertising.start(0);
  return ok;
}

bool BleLink::connected() const { return conn_.load(std::memory_order_acquire) != BLE_CONN_HANDLE_INVALID; }

void BleLink::set_battery(uint8_t percent) {
  if (percent == battery_) return;
  battery_ = percent;
  // 255 (on USB power) has no meaning for the Battery service: report a full battery then.
  services().battery.notify(percent > 100 ? 100 : percent);
}

void BleLink::forget_bonds() {
  const uint16_t conn = conn_.load(std::memory_order_acquire);
  if (conn != BLE_CONN_HANDLE_INVALID) {
    BLEConnection* c = Bluefruit.Connection(conn);
    if (c != nullptr) c->disconnect();
  }
  Bluefruit.Periph.clearBonds();
}

bool BleLink::send_input_report(uint8_t report_id, const uint8_t* value, size_t size) {
  const uint16_t conn = conn_.load(std::memory_order_acquire);
  if (conn == BLE_CONN_HANDLE_INVALID || !trusted(conn)) return false;
  Services& s = services();
  BLECharacteristic* report = report_id == g::kKeyboardId   ? &s.keyboard_in
                              : report_id == g::kConsumerId ? &s.consumer_in
                              : report_id == g::kMouseId    ? &s.mouse_in
                                                            : nullptr;
  if (report == nullptr || !report->notifyEnabled(conn)) return false;
  return report->notify(conn, value, static_cast<uint16_t>(size));
}

// -- BLE task ---------------------------------------------------------------------------------------

void BleLink::on_connect(uint16_t conn) {
  conn_.store(conn, std::memory_order_release);
  accepting_ = false;
  link_events_.fetch_add(1, std::memory_order_acq_rel);
}

void BleLink::on_disconnect(uint16_t conn) {
  if (conn_.load(std::memory_order_acquire) == conn) conn_.store(BLE_CONN_HANDLE_INVALID, std::memory_order_release);
  link_events_.fetch_add(1, std::memory_order_acq_rel);
}

bool BleLink::on_fragment_written(uint16_t conn, const uint8_t* data, size_t size) {
  if (size == 0 || size > kMaxFragment) return true;  // the reassembler would only count it
  const bool start = (data[0] & protocol::kFragmentStart) != 0;
  if (start) {
    // The packet's type byte follows the header and the u16 length.
    accepting_ = size < 4 || data[3] < g::kFirstProtectedType || trusted(conn);
  }
  if (!accepting_) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const uint32_t head = rx_head_.load(std::memory_order_relaxed);
  const uint32_t used = head - rx_tail_.load(std::memory_order_acquire);
  if (kRxBytes - used < size + 1) return true;  // loop() is behind: the reassembler sees the gap
  rx_[head % kRxBytes] = static_cast<uint8_t>(size);
  for (size_t i = 0; i < size; ++i) rx_[(head + 1 + i) % kRxBytes] = data[i];
  rx_head_.store(head + 1 + static_cast<uint32_t>(size), std::memory_order_release);
  return true;
}

// -- loop() -----------------------------------------------------------------------------------------

void BleLink::poll(board::Board& board) {
  board_ = &board;
  const uint32_t events = link_events_.load(std::memory_order_acquire);
  if (events != seen_link_events_) {
    // A connection came or went: both directions count fragments from 0 again.
    seen_link_events_ = events;
    reassembler_.reset();
    fragmenter_.reset();
    tx_size_ = 0;
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
  if (!connected() || !services().packet_out.notifyEnabled() || tx_size_ >= kTxDroppableLimit) return 0;
  return kTxDroppableLimit - tx_size_;
}

bool BleLink::on_fragment(const uint8_t* data, size_t size) {
  const uint16_t conn = conn_.load(std::memory_order_acquire);
  return services().packet_out.notify(conn, data, static_cast<uint16_t>(size));
}

void BleLink::flush() {
  const uint16_t conn = conn_.load(std::memory_order_acquire);
  if (conn == BLE_CONN_HANDLE_INVALID) {
    tx_size_ = 0;
    return;
  }
  BLEConnection* c = Bluefruit.Connection(conn);
  if (c != nullptr) fragmenter_.set_att_mtu(c->getMtu());
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

}  // namespace xiao
}  // namespace wandlab
