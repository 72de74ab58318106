// The native board: the firmware's board logic (wandlab_core's Board) as a Linux program, like
// Zephyr's native_sim. It serves the real protocol on a pseudo-terminal, so the app and its tests reach
// the C++ board exactly as they reach a USB board. Its sensors play what the Python virtual wand
// synthesizes, fed through two pipes (--feed-fd/--request-fd, feed_records.h), or, without a feeder,
// the simple C++ synthesis of synth.h. The recogniser (wandlab_core's Recognizer: model slots, TFLM,
// the motion segmenter, the class table, enrollment, the HID map) listens to every IMU frame and keeps
// its flash in a state directory (file_flash.h, state_dir.h). The wake-word detector (wandlab_core's
// BoardWords, the speech model given with --speech-model in its own TFLM runner) listens to the
// microphone whenever the board holds words.
//
//   wandlab_native_board [--rate HZ] [--axes 3|6] [--seed N] [--name NAME] [--port-path LINK]
//                        [--feed-fd N --request-fd M] [--state-dir DIR] [--speech-model FILE]
//                        [--exit-with-stdin]
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
#include "board_words.h"
#include "extension_chain.h"
#include "fed_source.h"
#include "feed_link.h"
#include "file_flash.h"
#include "firmware_version.h"
#include "hid_press_log.h"
#include "monotonic_clock.h"
#include "pty_port.h"
#include "recognizer.h"
#include "recognizer_listener.h"
#include "recognizer_tap.h"
#include "sensors.h"
#include "sim_forwarder.h"
#include "speech_model.h"
#include "state_dir.h"
#include "synth.h"

namespace wb = wandlab::board;
namespace wp = wandlab::protocol;
namespace wn = wandlab::native;

namespace {

constexpr int kTickMs = 2;
// How long the board waits for the feeder to fill the sensors' lead before it announces its port anyway.
constexpr uint64_t kPrimeTimeoutUs = 5000000;
constexpr uint64_t kUnderrunReportUs = 1000000;

// What the XIAO nRF52840 Sense gives a model (recognizer.h): two 256 KB slots in flash, the model run in
// place from its slot (memory-mapped here as there), an 8 KB tensor arena. The segment buffer is sized
// for the native board's highest IMU rate.
constexpr size_t kSlotBytes = 256 * 1024;
constexpr size_t kArenaBytes = 8 * 1024;
constexpr int kMaxImuRateHz = 400;
using Memory = wandlab::recognizer::RecognizerMemory<kArenaBytes, kMaxImuRateHz, 6>;

struct Options {
  uint16_t rate = 100;
  uint8_t axes = 6;
  uint32_t seed = 0;
  std::string name = "Native board";
  std::string port_path;
  int feed_fd = -1;
  int request_fd = -1;
  std::string state_dir;  // empty: a temporary one, removed at exit
  std::string speech_model;  // empty: no wake words
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
    } else if (arg == "--state-dir" && has_value) {
      o->state_dir = argv[++i];
      if (o->state_dir.empty()) return false;
    } else if (arg == "--speech-model" && has_value) {
      o->speech_model = argv[++i];
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

// What the board found at boot, on stderr (the host gets the slots' notes as Log WARNING).
void say_boot(const wn::StateDir& state, const wn::FileFlash& flash, const wandlab::recognizer::Recognizer& r,
              const wn::SpeechModel& speech, const wandlab::words::BoardWords& words) {
  std::fprintf(stderr, "wandlab_native_board: state in %s (%s)\n", state.path(),
               state.kept() ? "kept: a restart on it is a power cycle" : "temporary: removed at exit");
  if (flash.created() && flash.replaced_size() > 0) {
    std::fprintf(stderr, "wandlab_native_board: %s had %zu bytes, not %zu (another slot size): erased\n",
                 wn::kFlashFile, flash.replaced_size(), flash.file_bytes());
  }
  const wandlab::slots::ModelSlots& slots = r.slots();
  for (size_t i = 0; i < slots.note_count(); ++i) std::fprintf(stderr, "wandlab_native_board: %s\n", slots.note(i));
  const char* id = slots.active_model_id();
  std::fprintf(stderr, "wandlab_native_board: %u model slots of %zu bytes, %zu-byte tensor arena; %s%s%s\n",
               static_cast<unsigned>(wandlab::slots::kSlotCount), slots.max_model_bytes(), kArenaBytes,
               id[0] != '\0' ? "active model " : "no model", id, r.model_ready() || id[0] == '\0' ? "" : " (cannot run)");
  if (!r.model_ready() && id[0] != '\0') std::fprintf(stderr, "wandlab_native_board: %s\n", r.problem());
  const wandlab::words::WordStore& store = words.store();
  for (size_t i = 0; i < store.note_count(); ++i) std::fprintf(stderr, "wandlab_native_board: %s\n", store.note(i));
  if (speech.problem()[0] != '\0') {
    std::fprintf(stderr, "wandlab_native_board: no wake words: %s\n", speech.problem());
  } else {
    std::fprintf(stderr, "wandlab_native_board: speech model %08x (%zu bytes, %zu-byte arena), %zu wake words\n",
                 static_cast<unsigned>(speech.crc()), speech.bytes(), wn::kSpeechArenaBytes, store.count());
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, &options)) {
    std::fprintf(stderr,
                 "usage: %s [--rate 25|50|100|200|400] [--axes 3|6] [--seed N] [--name NAME] "
                 "[--port-path LINK] [--feed-fd N --request-fd M] [--state-dir DIR] [--speech-model FILE] "
                 "[--exit-with-stdin]\n",
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

  // The board's flash: model slots, its own classes and its HID map, in the state directory.
  static wn::StateDir state;
  static wn::FileFlash flash(kSlotBytes);
  static wn::FileRecord refs_record;
  static wn::FileRecord hid_record;
  static wn::FileRecord words_record;
  char flash_path[wn::kMaxPathBytes];
  if (!state.open(options.state_dir.c_str()) || !state.file(wn::kFlashFile, flash_path, sizeof(flash_path)) ||
      !flash.open(flash_path, state.kept()) || !refs_record.open(state.path(), wn::kRefsRecordFile, state.kept()) ||
      !hid_record.open(state.path(), wn::kHidRecordFile, state.kept()) ||
      !words_record.open(state.path(), wn::kWordsRecordFile, state.kept())) {
    std::fprintf(stderr, "wandlab_native_board: %s\n",
                 state.error()[0] != '\0' ? state.error()
                 : flash.error()[0] != '\0' ? flash.error() : "the state directory's path is too long");
    return 1;
  }

  static Memory memory;
  static wandlab::recognizer::Recognizer recognizer(flash, clock, memory.memory(), description.imu_axes, &refs_record,
                                                    &hid_record);
  static wn::HidPressLog hid_press;
  recognizer.set_press(&hid_press);
  static wandlab::recognizer::RecognizerTap tap(recognizer);
  // Wake words: the speech model beside the slots, the words in their own record.
  static wn::SpeechModel speech;
  speech.open(options.speech_model.c_str());
  static wandlab::words::BoardWords words(speech.embedder(), speech.crc(), speech.problem(), recognizer, clock,
                                          &words_record);
  static wn::RecognizerListener listener(tap, words);
  sensors.set_listener(&listener);

  // Requests the core leaves alone go down this chain; each takes only its own families.
  static wn::BoardControls controls(port, clock);
  static wn::SimForwarder forwarder(feed, clock, fed);
  static wb::ExtensionChain extensions;
  extensions.add(controls);
  extensions.add(forwarder);
  extensions.add(recognizer);
  extensions.add(words);
  static wb::Board board(description, port, clock, sensors, &extensions);
  forwarder.bind(board);
  tap.bind(board);
  recognizer.begin(board);  // reads and checks the slots, loads the active model; notes as Log too
  words.begin(board);       // the stored words' notes as Log
  say_boot(state, flash, recognizer, speech, words);
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
    // The recogniser may want the IMU with nobody streaming (recognising, HID on, enrolling).
    // and the word detector the microphone while it holds words.
    sensors.want(recognizer.wants_imu(), words.listening());
    sensors.produce(board);
    if (fed) {
      fed_source.tick(clock.micros());
      underruns.check(sensors, board, clock.micros64());
    }
    board.poll();
    tap.deliver();  // after the samples went out: decisions follow the samples they were made on
    words.deliver();
    recognizer.poll(board);
    port.flush();
    feed.flush();
  }
  return 0;
}
