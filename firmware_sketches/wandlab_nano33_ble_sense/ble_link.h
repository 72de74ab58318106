// The Nano 33 BLE Sense's BLE side, with ArduinoBLE: the Wandlab service of docs/protocol.md "BLE"
// (packet-out notify, packet-in write / write without response, info read; the UUIDs of
// ../wandlab_xiao_sense/gatt_layout.h) and Device Information. Packets travel as fragments (wandlab_core
// fragments.h) and reach the same Board as USB does (Framing::kPacket).
//
// What is left out, and why (README.md "BLE, pairing and HID"): ArduinoBLE has no HID-over-GATT profile,
// answers every write itself before the sketch sees it (so a packet cannot be refused with ATT error 0x05
// as the protocol asks), and leaves bond storage to the sketch. So this board has no HID service and no
// bonds: over BLE it takes the session family only (Hello, Ping) and answers every other request with
// Error UNSUPPORTED, saying to use USB. Everything a session sends on its own (ButtonEvent, Log, and the
// recognition and wake events when the firmware has them) goes out over BLE like over USB.
//
// Threads: none. ArduinoBLE runs its event handlers inside BLE.poll(), which poll() calls from loop().
#pragma once

#include <cstddef>
#include <cstdint>

#include "board.h"
#include "fragments.h"

namespace wandlab {
namespace nano33 {

class BleLink : public board::ByteSink, private protocol::PacketHandler, private protocol::FragmentSink {
 public:
  // Starts the radio, the services and advertising. False if the radio did not start.
  bool begin(const char* name, const char* firmware_version);
  // loop(): BLE events (received fragments go to `board`, switching it to this link), then queued packets out.
  void poll(board::Board& board);
  bool connected() const;
  const protocol::ReassemblyStats& rx_stats() const { return reassembler_.stats(); }
  // Requests refused because they are not in the session family.
  uint32_t refused() const { return refused_; }

  // board::ByteSink: whole packets (the board uses Framing::kPacket on this link).
  bool write(const uint8_t* data, size_t size) override;
  size_t room() const override;

  // From ArduinoBLE's handlers (inside BLE.poll()).
  void on_connect();
  void on_disconnect();
  void on_fragment_written(const uint8_t* data, size_t size);

 private:
  static constexpr size_t kTxBytes = 4608;  // whole packets waiting for notifications (one largest + room)
  static constexpr size_t kTxDroppableLimit = 2048;
  static constexpr size_t kPacketsPerPoll = 4;  // notifications wait for radio buffers: bound the time

  void on_packet(const protocol::Packet& packet) override;
  bool on_fragment(const uint8_t* data, size_t size) override;
  void link_changed();
  void flush();

  board::Board* board_ = nullptr;
  bool connected_ = false;
  uint32_t refused_ = 0;
  protocol::Reassembler reassembler_;
  protocol::Fragmenter fragmenter_;
  uint8_t tx_[kTxBytes];
  size_t tx_size_ = 0;
};

}  // namespace nano33
}  // namespace wandlab
