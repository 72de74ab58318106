#include "sim_forwarder.h"

#include <cstdio>

namespace wandlab {
namespace native {

namespace wp = protocol;

bool SimForwarder::on_request(const wp::Packet& packet, board::Board& board) {
  const bool scripted = packet.type == wp::SimPerform::kType || packet.type == wp::SimSay::kType ||
                        packet.type == wp::SimPerson::kType;
  if (!scripted || !has_feeder_) return false;
  board_ = &board;
  if (gone_ != nullptr) return refuse(packet.seq);
  Pending* slot = nullptr;
  for (Pending& p : pending_) {
    if (!p.used) {
      slot = &p;
      break;
    }
  }
  if (slot == nullptr) {
    board.reply_error(packet.seq, wp::ErrorCode::kBusy, "too many simulation requests waiting: try again");
    return true;
  }
  if (!link_.send_request(packet.type, packet.seq, packet.payload, packet.payload_size)) {
    if (gone_ != nullptr) return refuse(packet.seq);
    board.reply_error(packet.seq, wp::ErrorCode::kBusy, "the sample feeder is not reading: try again");
    return true;
  }
  *slot = Pending{true, packet.seq, clock_.micros()};
  return true;
}

bool SimForwarder::refuse(uint16_t seq) {
  board_->reply_error(seq, wp::ErrorCode::kInternal,
                      "the sample feeder has stopped, so the board cannot act this out: restart the native board");
  return true;
}

void SimForwarder::on_reply(uint16_t seq, uint16_t code, const char* text) {
  for (Pending& p : pending_) {
    if (!p.used || p.seq != seq) continue;
    p.used = false;
    if (board_ == nullptr) return;
    if (code == 0) {
      board_->ack(seq);
    } else {
      board_->reply_error(seq, static_cast<wp::ErrorCode>(code), text);
    }
    return;
  }
  std::fprintf(stderr, "wandlab_native_board: the sample feeder answered request %u, which is not waiting\n",
               static_cast<unsigned>(seq));
}

void SimForwarder::on_feeder_gone(const char* why) {
  gone_ = why;
  std::fprintf(stderr, "wandlab_native_board: %s; the sensors repeat their last sample from now on\n", why);
  for (Pending& p : pending_) {
    if (!p.used) continue;
    p.used = false;
    if (board_ != nullptr) {
      board_->reply_error(p.seq, wp::ErrorCode::kInternal, "the sample feeder stopped before it answered");
    }
  }
  if (board_ != nullptr && board_->in_session()) board_->log(wp::LogLevel::kError, why);
}

void SimForwarder::tick() {
  const uint32_t now = clock_.micros();
  for (Pending& p : pending_) {
    if (!p.used || now - p.since_us < kAnswerTimeoutUs) continue;
    p.used = false;
    if (board_ != nullptr) {
      board_->reply_error(p.seq, wp::ErrorCode::kInternal, "the sample feeder did not answer within 3 s");
    }
  }
}

}  // namespace native
}  // namespace wandlab
