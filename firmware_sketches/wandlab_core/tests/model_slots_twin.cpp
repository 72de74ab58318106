// The C++ half of the model slots twin test (tests/firmware/test_model_slots.py): a Board with a
// ModelSlots extension over a RAM flash, driven by requests on stdin, answering on stdout. Python drives
// its ModelStore with the same requests and compares the replies byte for byte.
// Build: g++ -std=c++17 -O2 -Isrc tests/model_slots_twin.cpp src/{model_slots,slot_record,sha256,
//        board_image,board,crc32,cobs,packet,frame_decoder,wire,messages}.cpp
// Usage: model_slots_twin CAPACITY ERASE_UNIT RECORD_PAGE_BYTES < script
// Script lines: "restart" (a power cycle: a new ModelSlots on the same flash, load(); prints
// "note TEXT" per note, then "booted"), or one request packet in hex (type, flags, seq, payload, CRC;
// prints "reply TYPE PAYLOAD" in hex per reply, then "done"). The flash is checked after every line:
// it must never be asked to turn a 0 bit back into 1.

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "board.h"
#include "model_slots.h"
#include "model_slots_test_support.h"
#include "protocol_test_support.h"

namespace wb = wandlab::board;
namespace wp = wandlab::protocol;
namespace ws = wandlab::slots;
namespace wt = wandlab::test;

namespace {

class PacketSink : public wb::ByteSink {
 public:
  bool write(const uint8_t* data, size_t size) override {
    packets.emplace_back(data, data + size);
    return true;
  }
  size_t room() const override { return 1 << 20; }
  std::vector<wt::ByteVec> packets;
};

class StillClock : public wb::Clock {
 public:
  uint32_t micros() const override { return 0; }
};

class NoSensors : public wb::SensorControl {
 public:
  bool start_imu(uint16_t) override { return false; }
  void stop_imu() override {}
  bool start_audio() override { return false; }
  void stop_audio() override {}
};

class Models : public wb::BoardExtension {
 public:
  explicit Models(ws::ModelSlots* slots) : slots_(slots) {}
  bool on_request(const wp::Packet& packet, wb::Board& board) override { return slots_->on_request(packet, board); }
  const char* active_model_id() const override { return slots_->active_model_id(); }

 private:
  ws::ModelSlots* slots_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s CAPACITY ERASE_UNIT RECORD_PAGE_BYTES < script\n", argv[0]);
    return 2;
  }
  wt::RamSlotFlash flash(std::strtoul(argv[1], nullptr, 10), std::strtoul(argv[2], nullptr, 10),
                         std::strtoul(argv[3], nullptr, 10));
  wt::StructuralCheck check;
  std::unique_ptr<ws::ModelSlots> slots;
  std::unique_ptr<Models> models;
  std::unique_ptr<wb::Board> board;
  PacketSink sink;
  StillClock clock;
  NoSensors sensors;
  wb::BoardDescription description;
  description.name = "twin";

  auto boot = [&]() {
    board.reset();
    slots.reset(new ws::ModelSlots(flash, check));
    slots->load();
    models.reset(new Models(slots.get()));
    board.reset(new wb::Board(description, sink, clock, sensors, models.get()));
    board->use_link(sink, wb::Framing::kPacket);
    for (size_t i = 0; i < slots->note_count(); ++i) std::printf("note %s\n", slots->note(i));
    std::printf("booted\n");
  };
  boot();
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    if (line == "restart") {
      boot();
    } else {
      wt::ByteVec raw;
      wp::Packet packet;
      if (!wt::parse_hex(line, &raw) || wp::unpack_packet(raw.data(), raw.size(), &packet) != wp::PacketError::kOk) {
        std::printf("bad request line\n");
        return 2;
      }
      sink.packets.clear();
      board->receive_packet(packet);
      for (const wt::ByteVec& out : sink.packets) {
        wp::Packet reply;
        if (wp::unpack_packet(out.data(), out.size(), &reply) != wp::PacketError::kOk) {
          std::printf("bad reply\n");
          return 2;
        }
        std::printf("reply %02x %s\n", reply.type, wt::to_hex(reply.payload, reply.payload_size).c_str());
      }
      std::printf("done\n");
    }
    if (flash.violations != 0 || flash.misuses != 0) {
      std::printf("flash misused: %ld bit violations, %ld bad calls\n", flash.violations, flash.misuses);
      return 1;
    }
  }
  std::fflush(stdout);
  return 0;
}
