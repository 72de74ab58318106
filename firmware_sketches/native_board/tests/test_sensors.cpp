// Host test of the native board's sensors (sensors.{h,cpp}) with a fake clock, a scripted source and a
// listener: they run on the board's clock whether or not the host streams, every sample reaches the
// listener, only streamed ones reach the Board's rings, a late source is waited for within the grace
// and then covered by repeating the last frame, and the 32-bit clock's wrap changes nothing.
// Build and run: make -C firmware_sketches/native_board test

#include <cstdio>
#include <cstring>

#include "board.h"
#include "sensors.h"

namespace wb = wandlab::board;
namespace wn = wandlab::native;
namespace wp = wandlab::protocol;

namespace {

int failures = 0;

void expect(bool ok, const char* what, long got = 0, long want = 0) {
  if (ok) return;
  ++failures;
  std::printf("FAIL: %s (got %ld, want %ld)\n", what, got, want);
}

class FakeClock : public wb::Clock {
 public:
  uint32_t micros() const override { return now; }
  uint32_t now = 0;
};

class NullSink : public wb::ByteSink {
 public:
  bool write(const uint8_t*, size_t) override { return true; }
  size_t room() const override { return 1 << 20; }
};

// Frame i of an IMU run is {i, -i, 8192, 2i, 0, 7}; audio sample i is i mod 30000. `imu_limit` /
// `audio_limit`: how many the source has so far (a feed running late).
class ScriptedSource : public wn::SampleSource {
 public:
  void imu_started(uint16_t rate_hz) override {
    ++imu_starts;
    last_rate = rate_hz;
  }
  size_t read_imu(int16_t* out, size_t frames) override {
    size_t n = 0;
    for (; n < frames && imu_next < imu_limit; ++n, ++imu_next) {
      const int16_t i = static_cast<int16_t>(imu_next);
      const int16_t frame[6] = {i, static_cast<int16_t>(-i), 8192, static_cast<int16_t>(2 * i), 0, 7};
      std::memcpy(out + 6 * n, frame, sizeof(frame));
    }
    return n;
  }
  void audio_started() override { ++audio_starts; }
  size_t read_audio(int16_t* out, size_t count) override {
    size_t n = 0;
    for (; n < count && audio_next < audio_limit; ++n, ++audio_next) out[n] = static_cast<int16_t>(audio_next % 30000);
    return n;
  }

  uint64_t imu_limit = ~0ull;
  uint64_t audio_limit = ~0ull;
  uint64_t imu_next = 0;
  uint64_t audio_next = 0;
  int imu_starts = 0;
  int audio_starts = 0;
  uint16_t last_rate = 0;
};

class Recorder : public wn::SampleListener {
 public:
  void on_imu(const int16_t* frame, size_t axes, uint32_t index, uint16_t rate_hz) override {
    if (axes != 6 || index != imu_frames) ++bad;
    rate = rate_hz;
    std::memcpy(last, frame, sizeof(last));
    ++imu_frames;
  }
  void on_audio(const int16_t* samples, size_t n, uint32_t index) override {
    if (index != audio_samples) ++bad;
    last_sample = samples[n - 1];
    audio_samples += n;
  }

  uint32_t imu_frames = 0;
  uint32_t audio_samples = 0;
  int bad = 0;
  uint16_t rate = 0;
  int16_t last[6] = {};
  int16_t last_sample = 0;
};

// Host requests go in as serial bytes, as from the pty.
template <class M>
void host_sends(wb::Board& board, const M& message) {
  uint8_t frame[64];
  const size_t n = wp::encode_message(message, 1, frame, sizeof(frame));
  board.receive(frame, n);
}

// Ring frames the board holds (and drops them, as sending would).
uint32_t drain_imu(wb::Board& board) {
  uint32_t frames = 0;
  for (const wb::ImuRing::Block* b = board.imu_ring().peek(); b != nullptr; b = board.imu_ring().peek()) {
    frames += static_cast<uint32_t>(b->values / 6);
    board.imu_ring().pop();
  }
  return frames;
}

void advance(FakeClock& clock, wn::NativeSensors& sensors, wb::Board& board, uint32_t us, uint32_t step_us = 2000) {
  for (uint32_t t = 0; t < us; t += step_us) {
    clock.now += step_us;
    sensors.produce(board);
  }
}

void test_runs_for_the_board_and_streams_for_the_host(uint32_t clock_start) {
  FakeClock clock;
  clock.now = clock_start;
  wb::BoardDescription description;
  description.imu_default_rate_hz = 100;
  ScriptedSource source;
  wn::NativeSensors sensors(clock, description, source);
  NullSink sink;
  wb::Board board(description, sink, clock, sensors);
  Recorder listener;
  sensors.set_listener(&listener);

  advance(clock, sensors, board, 500000);
  expect(listener.imu_frames == 0 && !sensors.imu_running(), "nothing runs while nobody needs samples");

  sensors.want(true, true);  // a recogniser: the sensors run without a host stream
  advance(clock, sensors, board, 1000000);
  expect(listener.imu_frames == 100, "1 s at the default 100 Hz reaches the listener", listener.imu_frames, 100);
  expect(listener.audio_samples == 16000, "1 s of audio reaches the listener", listener.audio_samples, 16000);
  expect(listener.rate == 100 && source.last_rate == 100, "at the default rate", listener.rate, 100);
  expect(board.imu_ring().peek() == nullptr, "no host stream: the rings get nothing");

  host_sends(board, wp::StreamStart{wp::kSensorImu, 100});  // the same rate: no restart, no gap
  advance(clock, sensors, board, 400000);
  expect(source.imu_starts == 1, "the host joining at the same rate does not restart the IMU", source.imu_starts, 1);
  const uint32_t streamed = drain_imu(board);
  expect(streamed == 40, "the host gets what was sampled since its StreamStart", streamed, 40);
  expect(listener.imu_frames == 140 && listener.bad == 0, "the listener's indices run on", listener.imu_frames, 140);

  host_sends(board, wp::StreamStart{wp::kSensorImu, 400});  // a new rate restarts the IMU
  advance(clock, sensors, board, 500000);
  expect(source.imu_starts == 2 && source.last_rate == 400, "a new rate restarts the IMU", source.last_rate, 400);
  const uint32_t fast = drain_imu(board);
  expect(fast == 192, "400 Hz for 0.5 s, in whole blocks of 16", fast, 192);

  host_sends(board, wp::StreamStop{wp::kSensorImu});
  const uint32_t before = listener.imu_frames;
  advance(clock, sensors, board, 500000);
  expect(listener.imu_frames - before == 200, "the host stopped: the board still samples at 400 Hz",
         listener.imu_frames - before, 200);
  expect(drain_imu(board) == 0, "and sends nothing");

  sensors.want(false, false);
  const uint32_t after = listener.imu_frames;
  advance(clock, sensors, board, 500000);
  expect(listener.imu_frames == after && !sensors.imu_running() && !sensors.audio_running(),
         "nobody needs samples: the sensors stop");
}

void test_a_late_source_is_waited_for_then_covered(uint32_t clock_start) {
  FakeClock clock;
  clock.now = clock_start;
  wb::BoardDescription description;
  ScriptedSource source;
  source.imu_limit = 10;
  source.audio_limit = 1000;
  wn::NativeSensors sensors(clock, description, source);
  NullSink sink;
  wb::Board board(description, sink, clock, sensors);
  Recorder listener;
  sensors.set_listener(&listener);
  sensors.want(true, true);

  advance(clock, sensors, board, 140000);  // 14 frames due, 10 there: 4 late, within the 5-frame grace
  expect(listener.imu_frames == 10 && sensors.underruns().imu_frames == 0, "late within the grace: it waits",
         listener.imu_frames, 10);
  advance(clock, sensors, board, 200000);  // 34 due: past the grace the last frame repeats
  expect(listener.imu_frames >= 29 && listener.imu_frames <= 34, "past the grace the stream keeps its pace",
         listener.imu_frames, 29);
  expect(sensors.underruns().imu_frames == listener.imu_frames - 10, "repeated frames are counted",
         sensors.underruns().imu_frames, listener.imu_frames - 10);
  expect(listener.last[0] == 9 && listener.last[3] == 18, "the repeat is the last frame fed", listener.last[0], 9);
  expect(sensors.underruns().audio_samples > 0 && listener.last_sample == 999, "audio holds its last sample",
         listener.last_sample, 999);

  source.imu_limit = 1000;  // the feed catches up: fed frames follow at once
  advance(clock, sensors, board, 100000);
  expect(listener.last[0] > 9, "fed frames play again once they come", listener.last[0], 10);
  expect(listener.bad == 0, "indices run on through the underrun");
}

}  // namespace

int main() {
  test_runs_for_the_board_and_streams_for_the_host(0);
  test_runs_for_the_board_and_streams_for_the_host(0xFFFFFFFFu - 700000u);  // the 32-bit clock wraps mid-run
  test_a_late_source_is_waited_for_then_covered(0);
  test_a_late_source_is_waited_for_then_covered(0xFFFFFFFFu - 150000u);
  if (failures != 0) {
    std::printf("%d check(s) failed\n", failures);
    return 1;
  }
  std::printf("test_sensors: all checks passed\n");
  return 0;
}
