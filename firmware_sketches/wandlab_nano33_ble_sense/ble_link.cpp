#include "ble_link.h"

#include <Arduino.h>
#include <ArduinoBLE.h>

#include "gatt_layout.h"
#include "messages.h"

namespace wandlab {
namespace nano33 {
namespace {

namespace g = gatt;

// ArduinoBLE takes UUIDs as text and keeps the pointers: these live as long as the program, and are made
// at compile time from gatt_layout.h's little-endian bytes (the same values the XIAO serves).
struct UuidText {
  char text[37];
};

constexpr UuidText uuid_text(const uint8_t (&little_endian)[16]) {
  UuidText out{};
  const char kHex[] = "0123456789abcdef";
  size_t pos = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.text[pos++] = '-';
    const uint8_t b = little_endian[15 - i];
    out.text[pos++] = kHex[b >> 4];
    out.text[pos++] = kHex[b & 0x0F];
  }
  out.text[pos] = '\0';
  return out;
}

constexpr bool same_text(const char* a, const char* b) {
  for (; *a != '\0' && *a == *b; ++a, ++b) {
  }
  return *a == *b;
}

constexpr UuidText kServiceUuid = uuid_text(g::kServiceUuid);
constexpr UuidText kPacketOutUuid = uuid_text(g::kPacketOutUuid);
constexpr UuidText kPacketInUuid = uuid_text(g::kPacketInUuid);
constexpr UuidText kInfoUuid = uuid_text(g::kInfoUuid);
// protocol/gatt.py WANDLAB_SERVICE, spelled as the app spells it.
static_assert(same_text(kServiceUuid.text, "57414e44-0000-4c61-8000-00805f9b34fb"), "UUID text conversion");

// ArduinoBLE gives the sketch no ATT MTU: every notification is cut to the MTU of 23 that every link starts
// with (20 bytes), which costs nothing here because nothing streams over this link (see ble_link.h).
constexpr int kMaxFragment = static_cast<int>(protocol::fragment_payload_size(protocol::kMaxAttMtu));  // 244
constexpr size_t kInfoNameBytes = 64;

struct Services {
  BLEService wandlab{kServiceUuid.text};
  BLECharacteristic packet_out{kPacketOutUuid.text, BLENotify, kMaxFragment, false};
  BLECharacteristic packet_in{kPacketInUuid.text, BLEWrite | BLEWriteWithoutResponse, kMaxFragment, false};
  BLECharacteristic info{kInfoUuid.text, BLERead, 4 + static_cast<int>(kInfoNameBytes), false};
  BLEService device_information{"180A"};
  BLECharacteristic manufacturer{"2A29", BLERead, "Wandlab"};
  BLECharacteristic model{"2A24", BLERead, "Nano 33 BLE Sense Rev2"};
  BLECharacteristic firmware_revision{"2A26", BLERead, 24, false};
};

Services& services() {
  static Services s;
  return s;
}

// ArduinoBLE's handlers are plain functions: they reach the one BleLink through this.
BleLink*& instance() {
  static BleLink* link = nullptr;
  return link;
}

void connected_cb(BLEDevice /*central*/) {
  if (instance() != nullptr) instance()->on_connect();
}

void disconnected_cb(BLEDevice /*central*/) {
  if (instance() != nullptr) instance()->on_disconnect();
}

void packet_in_written(BLEDevice /*central*/, BLECharacteristic characteristic) {
  if (instance() == nullptr || characteristic.valueLength() <= 0) return;
  instance()->on_fragment_written(characteristic.value(), static_cast<size_t>(characteristic.valueLength()));
}

}  // namespace

bool BleLink::begin(const char* name, const char* firmware_version) {
  instance() = this;
  if (BLE.begin() != 1) return false;
  Services& s = services();
  BLE.setLocalName(name);
  BLE.setDeviceName(name);
  // No HID service, so no keyboard appearance: a computer's Bluetooth settings must not offer it as one.
  BLE.setEventHandler(BLEConnected, connected_cb);
  BLE.setEventHandler(BLEDisconnected, disconnected_cb);
  s.packet_in.setEventHandler(BLEWritten, packet_in_written);

  s.wandlab.addCharacteristic(s.packet_out);
  s.wandlab.addCharacteristic(s.packet_in);
  s.wandlab.addCharacteristic(s.info);
  // info: u16 protocol version, u16 largest packet, board name (UTF-8, at most 64 bytes).
  uint8_t info[4 + kInfoNameBytes];
  const size_t name_len = strlen(name) > kInfoNameBytes ? kInfoNameBytes : strlen(name);
  info[0] = static_cast<uint8_t>(protocol::kProtocolVersion);
  info[1] = static_cast<uint8_t>(protocol::kProtocolVersion >> 8);
  info[2] = static_cast<uint8_t>(protocol::kMaxPacket);
  info[3] = static_cast<uint8_t>(protocol::kMaxPacket >> 8);
  memcpy(info + 4, name, name_len);
  s.info.writeValue(info, static_cast<int>(4 + name_len));

  s.device_information.addCharacteristic(s.manufacturer);
  s.device_information.addCharacteristic(s.model);
  s.device_information.addCharacteristic(s.firmware_revision);
  s.firmware_revision.writeValue(firmware_version);

  BLE.addService(s.wandlab);
  BLE.addService(s.device_information);
  // The Wandlab service UUID in the advertising data, so the app's filtered scan finds the board.
  BLE.setAdvertisedService(s.wandlab);
  return BLE.advertise() == 1;
}

bool BleLink::connected() const { return connected_; }

// -- inside BLE.poll() --------------------------------------------------------------------------------

void BleLink::on_connect() {
  connected_ = true;
  link_changed();
}

void BleLink::on_disconnect() {
  const bool had_session = board_ != nullptr && board_->link() == this;
  connected_ = false;
  link_changed();
  if (had_session) board_->disconnected();
}

// A connection came or went: both directions count fragments from 0 again.
void BleLink::link_changed() {
  reassembler_.reset();
  fragmenter_.reset();
  tx_size_ = 0;
}

void BleLink::on_fragment_written(const uint8_t* data, size_t size) { reassembler_.feed(data, size, *this); }

void BleLink::on_packet(const protocol::Packet& packet) {
  if (board_ == nullptr) return;
  board_->use_link(*this, board::Framing::kPacket);
  if (packet.type >= g::kFirstProtectedType) {
    // The protocol refuses these with ATT error 0x05 before they change anything; ArduinoBLE has already
    // acknowledged the write, so the refusal is an Error reply, and the packet changes nothing either.
    ++refused_;
    board_->reply_error(packet.seq, protocol::ErrorCode::kUnsupported,
                        "over BLE this board takes only Hello and Ping (ArduinoBLE cannot bond): use USB");
    return;
  }
  board_->receive_packet(packet);
}

// -- loop() -------------------------------------------------------------------------------------------

void BleLink::poll(board::Board& board) {
  board_ = &board;
  BLE.poll();
  flush();
}

bool BleLink::write(const uint8_t* data, size_t size) {
  if (!connected_ || size + 2 > kTxBytes - tx_size_) return false;
  tx_[tx_size_] = static_cast<uint8_t>(size);
  tx_[tx_size_ + 1] = static_cast<uint8_t>(size >> 8);
  memcpy(tx_ + tx_size_ + 2, data, size);
  tx_size_ += size + 2;
  return true;
}

size_t BleLink::room() const {
  if (!connected_ || !services().packet_out.subscribed() || tx_size_ >= kTxDroppableLimit) return 0;
  return kTxDroppableLimit - tx_size_;
}

bool BleLink::on_fragment(const uint8_t* data, size_t size) {
  // Sends the notification (waiting for a controller buffer if it must); 0 if it did not go out.
  return services().packet_out.writeValue(data, static_cast<int>(size)) != 0;
}

void BleLink::flush() {
  if (!connected_ || !services().packet_out.subscribed()) {
    tx_size_ = 0;  // no one to notify: nothing queued can be delivered in order any more
    return;
  }
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

}  // namespace nano33
}  // namespace wandlab
