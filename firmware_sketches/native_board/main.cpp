// The native board: the firmware's board logic (wandlab_core's Board) as a Linux program, like
// Zephyr's native_sim. It serves the real protocol on a pseudo-terminal, so the app and its tests reach
// the C++ board exactly as they reach a USB board. Its sensors play what the Python virtual wand
// synthesizes, fed through two pipes (--feed-fd/--request-fd, feed_records.h), or, without a feeder,
// the simple C++ synthesis of synth.h.
//
//   wandlab_native_board [--rate HZ] [--axes 3|6] [--seed N] [--name NAME] [--port-path LINK]
//                        [--feed-fd N --request-fd M] [--exit-with-stdin]
//
// Prints the port's link spec ("serial:/dev/pts/7", or serial:LINK with --port-path) on the first
// line of stdout once the port is ready (and, with a feeder, once the feeder has filled the sensors'
// lead), like `wandlab virtual-wand`. Runs until SIGINT/SIGTERM, or, with --exit-with-stdin, until its
// stdin closes (so it never outlives the process that started it).

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "board.h"
#include "board_controls.h"
#include "extension_chain.h"
#include "fed_source.h"
#include "feed_link.h"
#include "firmware_version.h"
#include "monotonic_clock.h"
#include "pty_port.h"
#include "sensors.h"
#include "sim_forwarder.h"
#include "synth.h"

namespace wb = wandlab::board;
namespace wp = wandlab::protocol;
namespace wn = wandlab::native;

namespace {

constexpr int kTickMs = 2;
// How long the board waits for the feeder to fill the sensors' lead before it announces its port anyway.
constexpr uint64_t kPrimeTimeoutUs = 5000000;
constexpr uint64_t kUnderrunReportUs = 1000000;

struct Options {
  uint16_t rate = 100;
  uint8_t axes = 6;
  uint32_t seed = 0;
  std::string name = "Native board";
  std::string port_path;
  int feed_fd = -1;
  int request_fd = -1;
  bool exit_with_stdin = false;
};

bool parse(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--rate" && has_value) {
      o->rate = static_cast<uint16_t>(std::atoi(argv[++i]));
    } else if (arg == "--axes" && has_value) {
      o->axes = static_cast<uint8_t>(std::atoi(argv[++i]));
    } else if (arg == "--seed" && has_value) {
      o->seed = static_cast<uint32_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (arg == "--name" && has_value) {
      o->name = argv[++i];
    } else if (arg == "--port-path" && has_value) {
      o->port_path = argv[++i];
    } else if (arg == "--feed-fd" && has_value) {
      o->feed_fd = std::atoi(argv[++i]);
    } else if (arg == "--request-fd" && has_value) {
      o->request_fd = std::atoi(argv[++i]);
    } else if (arg == "--exit-with-stdin") {
      o->exit_with_stdin = true;
    } else {
      return false;
    }
  }
  const bool feed_ok = (o->feed_fd < 0) == (o->request_fd < 0);  // both pipes, or neither
  return feed_ok && (o->axes == 3 || o->axes == 6) &&
         (o->rate == 25 || o->rate == 50 || o->rate == 100 || o->rate == 200 || o->rate == 400);
}

// Says, at most once a second, that the feeder fell behind: to the host as a Log while it is connected,
// and on stderr.
class UnderrunReport {
 public:
  void check(const wn::NativeSensors& sensors, wb::Board& board, uint64_t now_us) {
    const wn::NativeSensors::Underruns& u = sensors.underruns();
    if (now_us - last_us_ < kUnderrunReportUs ||
        (u.imu_frames == reported_.imu_frames && u.audio_samples == reported_.audio_samples)) {
      return;
    }
    last_us_ = now_us;
    reported_ = u;
    char text[160];
    std::snprintf(text, sizeof(text),
                  "feed underrun: the sample feeder fell behind; the sensors repeated %u IMU frames and %u "
                  "audio samples so far",
                  static_cast<unsigned>(u.imu_frames), static_cast<unsigned>(u.audio_samples));
    std::fprintf(stderr, "wandlab_native_board: %s\n", text);
    if (board.in_session()) board.log(wp::LogLevel::kWarning, text);
  }

 private:
  wn::NativeSensors::Underruns reported_;
  uint64_t last_us_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, &options)) {
    std::fprintf(stderr,
                 "usage: %s [--rate 25|50|100|200|400] [--axes 3|6] [--seed N] [--name NAME] "
                 "[--port-path LINK] [--feed-fd N --request-fd M] [--exit-with-stdin]\n",
                 argv[0]);
    return 2;
  }
  // A feeder or host that goes away must not kill the board with SIGPIPE: the write fails and says so.
  ::signal(SIGPIPE, SIG_IGN);
  const bool fed = options.feed_fd >= 0;
  const std::string firmware = std::string("native-") + wandlab::kFirmwareVersion;
  const std::string uid = "native-" + std::to_string(options.seed);
  wb::BoardDescription description;
  description.name = options.name.c_str();
  description.firmware_version = firmware.c_str();
  description.uid = uid.c_str();
  description.imu_axes = options.axes;
  description.imu_default_rate_hz = options.rate;

  // Everything big lives here, in static storage: the Board alone is ~21 KB.
  static wn::PtyPort port;
  port.set_link_path(options.port_path);
  std::string error;
  if (!port.plug_in(&error)) {
    std::fprintf(stderr, "wandlab_native_board: %s\n", error.c_str());
    return 1;
  }

  static wn::MonotonicClock clock;
  static wn::FeedLink feed;
  static wn::FedSource fed_source(feed, description);
  static wn::SynthSource synth_source(description.imu_axes, {description.accel_scale, description.gyro_scale},
                                      options.seed);
  wn::SampleSource& source = fed ? static_cast<wn::SampleSource&>(fed_source) : synth_source;
  static wn::NativeSensors sensors(clock, description, source);

  // Requests the core leaves alone go down this chain; a model store or recogniser is added after these.
  static wn::BoardControls controls(port, clock);
  static wn::SimForwarder forwarder(feed, clock, fed);
  static wn::ExtensionChain extensions;
  extensions.add(controls);
  extensions.add(forwarder);
  static wb::Board board(description, port, clock, sensors, &extensions);
  forwarder.bind(board);
  if (fed) {
    feed.attach(options.feed_fd, options.request_fd, fed_source, forwarder);
    fed_source.begin();
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  const int signal_fd = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);

  UnderrunReport underruns;
  const uint64_t started_us = clock.micros64();
  bool announced = false;
  uint8_t rx[4096];
  bool running = true;
  while (running) {
    if (!announced) {
      const bool waited = clock.micros64() - started_us > kPrimeTimeoutUs;
      if (!fed || fed_source.primed() || !feed.alive() || waited) {
        if (fed && !fed_source.primed()) {
          std::fprintf(stderr, "wandlab_native_board: the sample feeder has not filled the sensors' lead\n");
        }
        std::printf("serial:%s\n", port.host_path().c_str());
        std::fflush(stdout);
        announced = true;
      }
    }
    // poll() skips negative descriptors: an unplugged port, no feeder, stdin not watched.
    pollfd fds[4] = {{port.master_fd(), POLLIN, 0},
                     {signal_fd, POLLIN, 0},
                     {options.exit_with_stdin ? 0 : -1, POLLIN, 0},
                     {feed.feed_fd(), POLLIN, 0}};
    ::poll(fds, 4, kTickMs);
    if (fds[1].revents != 0) running = false;
    if (fds[2].revents != 0) {
      char sink[256];
      if (::read(0, sink, sizeof(sink)) <= 0) running = false;  // the parent is gone
    }
    feed.receive();
    for (size_t n = port.read(rx, sizeof(rx)); n > 0; n = port.read(rx, sizeof(rx))) board.receive(rx, n);
    controls.tick(board);
    forwarder.tick();
    sensors.produce(board);
    if (fed) {
      fed_source.tick(clock.micros());
      underruns.check(sensors, board, clock.micros64());
    }
    board.poll();
    port.flush();
    feed.flush();
  }
  return 0;
}
