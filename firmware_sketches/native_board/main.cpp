// The native board: the firmware's board logic (wandlab_core's Board) as a Linux program, like
// Zephyr's native_sim. It serves the real protocol on a pseudo-terminal, with synthetic sensors
// (synth.h), so the app and its tests reach the C++ board exactly as they reach a USB board.
//
//   wandlab_native_board [--rate HZ] [--axes 3|6] [--seed N] [--name NAME] [--port-path LINK]
//                        [--exit-with-stdin]
//
// Prints the port's link spec ("serial:/dev/pts/7", or serial:LINK with --port-path) on the first
// line of stdout once the port is ready, like `wandlab virtual-wand`. Runs until SIGINT/SIGTERM, or,
// with --exit-with-stdin, until its stdin closes (so it never outlives the process that started it).

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "board.h"
#include "firmware_version.h"
#include "pty_port.h"
#include "synth.h"

namespace wb = wandlab::board;
namespace wp = wandlab::protocol;
namespace wn = wandlab::native;

namespace {

constexpr int kTickMs = 2;

class MonotonicClock : public wb::Clock {
 public:
  uint32_t micros() const override {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint32_t>(static_cast<uint64_t>(ts.tv_sec) * 1000000u +
                                 static_cast<uint64_t>(ts.tv_nsec) / 1000u);
  }
};

// Sensors sampled on the clock: every loop pushes the samples due since the sensor started, so the
// rates are exact on average whatever the loop's jitter (a real sensor's FIFO does the same).
class SyntheticSensors : public wb::SensorControl {
 public:
  SyntheticSensors(const wb::Clock& clock, const wb::BoardDescription& description, uint32_t seed)
      : clock_(clock), description_(description), seed_(seed) {}

  bool start_imu(uint16_t rate_hz) override {
    imu_rate_ = rate_hz;
    imu_start_ = clock_.micros();
    imu_emitted_ = 0;
    imu_on_ = true;
    return true;
  }
  void stop_imu() override { imu_on_ = false; }
  bool start_audio() override {
    audio_start_ = clock_.micros();
    audio_emitted_ = 0;
    audio_on_ = true;
    return true;
  }
  void stop_audio() override { audio_on_ = false; }
  // A nominal figure: the PC has plenty, a real board reports what its heap has left.
  uint32_t free_ram_bytes() const override { return 192 * 1024; }

  void produce(wb::Board& board) {
    const uint32_t now = clock_.micros();
    if (imu_on_) {
      const uint64_t due = static_cast<uint64_t>(now - imu_start_) * imu_rate_ / 1000000u;
      const size_t axes = description_.imu_axes;
      const wn::ImuScale scale{description_.accel_scale, description_.gyro_scale};
      int16_t frame[6];
      for (; imu_emitted_ < due; ++imu_emitted_) {
        wn::imu_sample(static_cast<uint32_t>(imu_emitted_), imu_rate_, axes, scale, seed_, frame);
        board.imu_ring().push(frame, 1);
      }
    }
    if (audio_on_) {
      const uint64_t due = static_cast<uint64_t>(now - audio_start_) * description_.audio_rate_hz / 1000000u;
      int16_t chunk[256];
      while (audio_emitted_ < due) {
        size_t n = 0;
        for (; n < 256 && audio_emitted_ < due; ++n, ++audio_emitted_) {
          chunk[n] = wn::audio_sample(static_cast<uint32_t>(audio_emitted_), seed_);
        }
        board.audio_ring().push(chunk, n);
      }
    }
  }

 private:
  const wb::Clock& clock_;
  const wb::BoardDescription& description_;
  uint32_t seed_;
  bool imu_on_ = false;
  bool audio_on_ = false;
  uint16_t imu_rate_ = 0;
  uint32_t imu_start_ = 0;
  uint32_t audio_start_ = 0;
  uint64_t imu_emitted_ = 0;
  uint64_t audio_emitted_ = 0;
};

// The one simulation request a board with a button can honour: press and release it (board.py
// answers Ack, then the two ButtonEvents). The rest of the family scripts the Python virtual wand.
class NativeExtension : public wb::BoardExtension {
 public:
  bool on_request(const wp::Packet& packet, wb::Board& board) override {
    wp::SimButton press;
    if (wp::decode_message(packet, &press) != wp::WireError::kOk) return false;
    board.ack(packet.seq);
    board.button(press.button, true);
    board.button(press.button, false);
    return true;
  }
};

struct Options {
  uint16_t rate = 100;
  uint8_t axes = 6;
  uint32_t seed = 0;
  std::string name = "Native board";
  std::string port_path;
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
    } else if (arg == "--exit-with-stdin") {
      o->exit_with_stdin = true;
    } else {
      return false;
    }
  }
  return (o->axes == 3 || o->axes == 6) && (o->rate == 25 || o->rate == 50 || o->rate == 100 ||
                                            o->rate == 200 || o->rate == 400);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, &options)) {
    std::fprintf(stderr,
                 "usage: %s [--rate 25|50|100|200|400] [--axes 3|6] [--seed N] [--name NAME] "
                 "[--port-path LINK] [--exit-with-stdin]\n",
                 argv[0]);
    return 2;
  }
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
  std::string error;
  if (!port.open(&error)) {
    std::fprintf(stderr, "wandlab_native_board: %s\n", error.c_str());
    return 1;
  }
  std::string spec_path = port.slave_path();
  if (!options.port_path.empty()) {
    const std::string tmp = options.port_path + ".tmp";
    ::unlink(tmp.c_str());
    if (::symlink(port.slave_path().c_str(), tmp.c_str()) != 0 ||
        ::rename(tmp.c_str(), options.port_path.c_str()) != 0) {
      std::fprintf(stderr, "wandlab_native_board: cannot link %s: %s\n", options.port_path.c_str(),
                   std::strerror(errno));
      return 1;
    }
    spec_path = options.port_path;
  }

  static MonotonicClock clock;
  static SyntheticSensors sensors(clock, description, options.seed);
  static NativeExtension extension;
  static wb::Board board(description, port, clock, sensors, &extension);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  const int signal_fd = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);

  std::printf("serial:%s\n", spec_path.c_str());
  std::fflush(stdout);

  uint8_t rx[4096];
  bool running = true;
  while (running) {
    pollfd fds[3] = {{port.master_fd(), POLLIN, 0}, {signal_fd, POLLIN, 0}, {0, POLLIN, 0}};
    const nfds_t count = options.exit_with_stdin ? 3 : 2;
    ::poll(fds, count, kTickMs);
    if (fds[1].revents != 0) running = false;
    if (options.exit_with_stdin && fds[2].revents != 0) {
      char sink[256];
      if (::read(0, sink, sizeof(sink)) <= 0) running = false;  // the parent is gone
    }
    for (size_t n = port.read(rx, sizeof(rx)); n > 0; n = port.read(rx, sizeof(rx))) board.receive(rx, n);
    sensors.produce(board);
    board.poll();
    port.flush();
  }
  if (!options.port_path.empty()) ::unlink(options.port_path.c_str());
  return 0;
}
