// What the native board's own hardware does for the simulation family: its button (SimButton: Ack,
// then the two ButtonEvents, as board.py) and its USB cable (SimUnplug: Ack, then the port vanishes
// for `millis` and comes back under the same name, as pty_server.py does). Everything else is left to
// the next extension.
#pragma once

#include <cstdint>

#include "board.h"
#include "monotonic_clock.h"
#include "pty_port.h"

namespace wandlab {
namespace native {

class BoardControls : public board::BoardExtension {
 public:
  // The Ack of a SimUnplug gets this long to reach the host before the cable comes out.
  static constexpr uint64_t kPullDelayUs = 50000;
  // A pty that will not open again is retried this often.
  static constexpr uint64_t kReplugRetryUs = 100000;

  BoardControls(PtyPort& port, const MonotonicClock& clock) : port_(port), clock_(clock) {}

  bool on_request(const protocol::Packet& packet, board::Board& board) override;
  // Pulls and plugs the cable back in when due; call it every loop.
  void tick(board::Board& board);
  bool unplugged() const { return cable_ == Cable::kOut; }

 private:
  enum class Cable : uint8_t { kIn, kPulling, kOut };

  PtyPort& port_;
  const MonotonicClock& clock_;
  Cable cable_ = Cable::kIn;
  uint64_t due_us_ = 0;  // when the cable comes out (kPulling) or goes back in (kOut)
  uint64_t out_for_us_ = 0;
};

}  // namespace native
}  // namespace wandlab
