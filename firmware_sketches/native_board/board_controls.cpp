#include "board_controls.h"

#include <cstdio>
#include <string>

namespace wandlab {
namespace native {

namespace wp = protocol;

bool BoardControls::on_request(const wp::Packet& packet, board::Board& board) {
  if (packet.type == wp::SimButton::kType) {
    wp::SimButton press;
    if (wp::decode_message(packet, &press) != wp::WireError::kOk) return false;
    board.ack(packet.seq);
    board.button(press.button, true);
    board.button(press.button, false);
    return true;
  }
  if (packet.type == wp::SimUnplug::kType) {
    wp::SimUnplug unplug;
    if (wp::decode_message(packet, &unplug) != wp::WireError::kOk) return false;
    if (!port_.has_link()) {
      // Without a stable name the host could not find the board again after the replug.
      board.reply_error(packet.seq, wp::ErrorCode::kUnsupported,
                        "SimUnplug needs the native board started with --port-path (a name to plug back in under)");
      return true;
    }
    if (cable_ != Cable::kIn) {
      board.reply_error(packet.seq, wp::ErrorCode::kBusy, "the cable is already being pulled");
      return true;
    }
    board.ack(packet.seq);
    cable_ = Cable::kPulling;
    due_us_ = clock_.micros64() + kPullDelayUs;
    out_for_us_ = static_cast<uint64_t>(unplug.millis) * 1000u;
    return true;
  }
  return false;
}

void BoardControls::tick(board::Board& board) {
  if (cable_ == Cable::kIn) return;
  const uint64_t now = clock_.micros64();
  if (now < due_us_) return;
  if (cable_ == Cable::kPulling) {
    // Like a board losing USB power: streams stop, half a frame is forgotten, the host sees a hang-up.
    board.disconnected();
    port_.unplug();
    cable_ = Cable::kOut;
    due_us_ = now + out_for_us_;
    return;
  }
  std::string error;
  if (port_.plug_in(&error)) {
    cable_ = Cable::kIn;
  } else {
    std::fprintf(stderr, "wandlab_native_board: cannot plug back in: %s\n", error.c_str());
    due_us_ = now + kReplugRetryUs;
  }
}

}  // namespace native
}  // namespace wandlab
