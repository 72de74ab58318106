// The XIAO ESP32S3's BLE side, with NimBLE-Arduino: the GATT layout of docs/protocol.md "BLE" (the UUIDs,
// report map and HID values of ../wandlab_xiao_sense/gatt_layout.h) - the Wandlab service (packet-out,
// packet-in, info), Device Information, Battery and HID over GATT (keyboard with LEDs, consumer, mouse,
// through NimBLEHIDDevice) - with LE Secure Connections bonding ("Just Works": the wand has no display or
// keys). Packets travel as fragments (wandlab_core fragments.h) and reach the same Board as USB does
// (Framing::kPacket); the Board answers whichever link spoke last.
//
// Threads: NimBLE calls back from its host task, which only copies fragments into a lock-free queue;
// loop() (poll()) reassembles them and runs the Board, as on the XIAO nRF52840.
//
// Security differs from the XIAO in one way (README.md "Pairing"): NimBLE-Arduino accepts a write before
// the sketch sees it, so a protected packet cannot be refused with ATT error 0x05. On a link that is not
// encrypted with a bonded key, such a packet is dropped whole (it changes nothing), answered with
// Error BUSY, and the board asks the central to pair (a Security Request); once bonded, the host repeats it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "board.h"
#include "fragments.h"

namespace wandlab {
namespace esp32s3 {

class BleLink : public board::ByteSink, private protocol::PacketHandler, private protocol::FragmentSink {
 public:
  // Starts NimBLE, the services and advertising. False if the stack did not start.
  bool begin(const char* name, const char* firmware_version);
  // loop(): received packets into `board` (switching it to this link), queued packets out.
  void poll(board::Board& board);
  bool connected() const;
  // ForgetHosts: delete every bond and drop the link they protected.
  void forget_bonds();
  // One HID input report (report id 1, 2 or 3 of gatt_layout.h) to the bonded central; false if it did not
  // go out. For recognition, when the firmware has it.
  bool send_input_report(uint8_t report_id, const uint8_t* value, size_t size);
  const protocol::ReassemblyStats& rx_stats() const { return reassembler_.stats(); }
  // Protected packets dropped on links without a bond.
  uint32_t refused() const { return refused_; }

  // board::ByteSink: whole packets (the board uses Framing::kPacket on this link).
  bool write(const uint8_t* data, size_t size) override;
  size_t room() const override;

  // From NimBLE's callbacks (host task).
  void on_connect(uint16_t conn);
  void on_disconnect(uint16_t conn);
  void on_subscribe(bool notifications);
  void on_fragment_written(uint16_t conn, const uint8_t* data, size_t size);

 private:
  static constexpr size_t kRxBytes = 2048;  // fragments waiting for loop(), each with a length byte
  static constexpr size_t kTxBytes = 4608;  // whole packets waiting for notifications (one largest + room)
  static constexpr size_t kTxDroppableLimit = 2048;

  void on_packet(const protocol::Packet& packet) override;
  bool on_fragment(const uint8_t* data, size_t size) override;
  bool trusted(uint16_t conn) const;
  void flush();

  // Fragments in (host task -> loop), single producer, single consumer.
  uint8_t rx_[kRxBytes];
  std::atomic<uint32_t> rx_head_{0};
  std::atomic<uint32_t> rx_tail_{0};
  std::atomic<uint32_t> link_events_{0};  // connects + disconnects, so loop() resets its state
  std::atomic<uint16_t> conn_{0xFFFF};    // BLE_HS_CONN_HANDLE_NONE: not connected
  std::atomic<bool> notify_{false};       // packet-out notifications enabled by the central

  // loop() side.
  uint32_t seen_link_events_ = 0;
  bool was_connected_ = false;
  bool security_requested_ = false;
  uint32_t refused_ = 0;
  board::Board* board_ = nullptr;
  protocol::Reassembler reassembler_;
  protocol::Fragmenter fragmenter_;
  uint8_t tx_[kTxBytes];
  size_t tx_size_ = 0;
};

}  // namespace esp32s3
}  // namespace wandlab
