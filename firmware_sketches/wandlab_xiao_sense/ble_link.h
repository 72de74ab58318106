// The XIAO's BLE side, with Bluefruit (the core's SoftDevice S140 library): exactly the GATT layout of
// docs/protocol.md "BLE" (gatt_layout.h) - the Wandlab service (packet-out, packet-in, info), Battery,
// Device Information and HID over GATT (keyboard with LEDs, consumer, mouse) - with LE Secure
// Connections bonding. Packets travel as fragments (wandlab_core fragments.h) and reach the same
// Board as USB does (Framing::kPacket); the board answers whichever link spoke last.
//
// Threads: Bluefruit calls the write callbacks from its BLE task, which only copies fragments into a
// lock-free queue; loop() (poll()) reassembles them and runs the Board. Only session packets (Hello,
// Ping) are accepted on a link that is not encrypted with a bonded key: a write request starting any
// other packet is refused with ATT error 0x05 (insufficient authentication), a write command dropped.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "board.h"
#include "fragments.h"

namespace wandlab {
namespace xiao {

class BleLink : public board::ByteSink, private protocol::PacketHandler, private protocol::FragmentSink {
 public:
  // Starts the SoftDevice, the services and advertising. False if the stack did not start.
  bool begin(const char* name, const char* firmware_version);
  // loop(): received packets into `board` (switching it to this link), queued packets out.
  void poll(board::Board& board);
  bool connected() const;
  void set_battery(uint8_t percent);
  // ForgetHosts: delete every bond and drop the links they protected.
  void forget_bonds();
  // One HID input report (hid_reports.h) to the connected host, if it is bonded, the link encrypted and
  // the host listens to that report. True if it went out.
  bool send_input_report(uint8_t report_id, const uint8_t* value, size_t size);
  const protocol::ReassemblyStats& rx_stats() const { return reassembler_.stats(); }
  uint32_t refused_writes() const { return refused_.load(std::memory_order_relaxed); }

  // board::ByteSink: whole packets (the board uses Framing::kPacket on this link).
  bool write(const uint8_t* data, size_t size) override;
  size_t room() const override;

  // From Bluefruit's callbacks (BLE task).
  void on_connect(uint16_t conn);
  void on_disconnect(uint16_t conn);
  // A fragment written to packet-in. `request`: a write request (answerable). Returns false if refused.
  bool on_fragment_written(uint16_t conn, const uint8_t* data, size_t size);

 private:
  static constexpr size_t kRxBytes = 2048;  // fragments waiting for loop(), each with a length byte
  static constexpr size_t kTxBytes = 4608;  // whole packets waiting for notifications (one largest + room)
  static constexpr size_t kTxDroppableLimit = 2048;

  void on_packet(const protocol::Packet& packet) override;
  bool on_fragment(const uint8_t* data, size_t size) override;
  void flush();

  // Fragments in (BLE task -> loop), single producer, single consumer.
  uint8_t rx_[kRxBytes];
  std::atomic<uint32_t> rx_head_{0};
  std::atomic<uint32_t> rx_tail_{0};
  std::atomic<uint32_t> refused_{0};
  std::atomic<uint32_t> link_events_{0};  // connects + disconnects, so loop() resets its state
  std::atomic<uint16_t> conn_{0xFFFF};  // BLE_CONN_HANDLE_INVALID: not connected
  bool accepting_ = false;  // BLE task: whether the packet being written may pass

  // loop() side.
  uint32_t seen_link_events_ = 0;
  bool was_connected_ = false;
  board::Board* board_ = nullptr;
  protocol::Reassembler reassembler_;
  protocol::Fragmenter fragmenter_;
  uint8_t tx_[kTxBytes];
  size_t tx_size_ = 0;
  uint8_t battery_ = 255;
};

}  // namespace xiao
}  // namespace wandlab
