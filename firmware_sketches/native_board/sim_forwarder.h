// The simulation requests only the Python virtual wand can act out (SimPerform, SimSay, SimPerson) go
// to the feeder over the feed's request pipe (type, seq, payload); its answer - Ack, or Error with the
// feeder's code and text, the very Error board.py gives - goes back to the host under the request's
// seq. Without a feeder (--feed synth) it takes nothing and the core answers UNSUPPORTED; once the
// feeder has gone, the requests get Error INTERNAL saying so.
#pragma once

#include <cstddef>
#include <cstdint>

#include "board.h"
#include "feed_link.h"

namespace wandlab {
namespace native {

class SimForwarder : public board::BoardExtension, public FeedReplies {
 public:
  // Requests awaiting the feeder's answer; more at once get Error BUSY.
  static constexpr size_t kMaxPending = 16;
  // Longer than any synthesis takes (espeak-ng: ~20 ms), shorter than the host's request timeout.
  static constexpr uint32_t kAnswerTimeoutUs = 3000000;

  SimForwarder(FeedLink& link, const board::Clock& clock, bool has_feeder)
      : link_(link), clock_(clock), has_feeder_(has_feeder) {}

  // Where the feeder's answers go: they arrive after on_request() has returned.
  void bind(board::Board& board) { board_ = &board; }

  bool on_request(const protocol::Packet& packet, board::Board& board) override;
  void on_reply(uint16_t seq, uint16_t code, const char* text) override;
  void on_feeder_gone(const char* why) override;
  // Answers, with Error INTERNAL, the requests the feeder left unanswered for kAnswerTimeoutUs.
  void tick();

 private:
  // Error INTERNAL: the feeder is gone. Always true (the request is answered).
  bool refuse(uint16_t seq);

  struct Pending {
    bool used = false;
    uint16_t seq = 0;
    uint32_t since_us = 0;
  };

  FeedLink& link_;
  const board::Clock& clock_;
  board::Board* board_ = nullptr;
  bool has_feeder_;
  const char* gone_ = nullptr;  // why the feeder left, once it has
  Pending pending_[kMaxPending];
};

}  // namespace native
}  // namespace wandlab
