// sensor_sharing.h with fakes of a board's IMU driver, microphone and recognition: who gets the IMU and the
// microphone when the host streams, when the recogniser wants the IMU (recognising, HID on, enrolling) and
// when the board holds wake words - the logic the XIAO, Nano 33 and ESP32-S3 layers all run.
#include <cstdio>

#include "check.h"
#include "sensor_sharing.h"

using wandlab_test::check;
namespace wb = wandlab::board;

namespace {

struct FakeTap {};

struct FakeImu {
  bool start(uint16_t rate_hz) {
    ++starts;
    running_ = ok;
    rate_ = rate_hz;
    return ok;
  }
  void stop() {
    ++stops;
    running_ = false;
  }
  bool running() const { return running_; }
  uint16_t rate_hz() const { return rate_; }
  size_t poll(wb::ImuRing* ring, FakeTap* tap) {
    last_ring = ring;
    last_tap = tap;
    return 0;
  }

  bool ok = true;
  bool running_ = false;
  uint16_t rate_ = 0;
  int starts = 0;
  int stops = 0;
  wb::ImuRing* last_ring = nullptr;
  FakeTap* last_tap = nullptr;
};

struct FakeMicrophone {
  bool route(wb::AudioRing* host, wb::AudioRing* heard, bool restart_heard = false) {
    ++routes;
    this->host = host;
    this->heard = heard;
    restarted = restart_heard;
    return true;
  }
  int routes = 0;
  wb::AudioRing* host = nullptr;
  wb::AudioRing* heard = nullptr;
  bool restarted = false;
};

struct FakeRecognition {
  struct {
    bool wants = false;
    bool wants_imu() const { return wants; }
  } recognizer;
  FakeTap tap;
  wb::AudioRing heard;
  struct {
    bool on = false;
    bool listening() const { return on; }
  } words;
  int heard_calls = 0;
  void hear_pending() { ++heard_calls; }
};

using Sharing = wandlab::recognition::SensorSharing<FakeImu, FakeMicrophone, FakeRecognition>;

void test_without_recognition() {
  FakeImu imu;
  FakeMicrophone mic;
  wb::ImuRing imu_ring;
  wb::AudioRing audio_ring;
  Sharing sharing(imu, mic, 100);
  sharing.begin(true);
  check(sharing.start_imu(200) && imu.rate_hz() == 200, "the host's rate");
  sharing.poll_imu(imu_ring);
  check(imu.last_ring == &imu_ring && imu.last_tap == nullptr, "frames to the host only: no recognition");
  sharing.stop_imu();
  check(!imu.running(), "the host stops the IMU");
  sharing.poll_imu(imu_ring);
  check(!imu.running() && imu.last_ring == nullptr, "and nothing restarts it");
  check(sharing.start_audio(audio_ring) && mic.host == &audio_ring && mic.heard == nullptr, "audio to the host");
  sharing.poll_mic(audio_ring);
  check(mic.routes == 1, "no words without recognition: the route stays");
  sharing.stop_audio();
  check(mic.host == nullptr && mic.heard == nullptr, "audio stopped");
}

void test_recogniser_keeps_the_imu() {
  FakeImu imu;
  FakeMicrophone mic;
  FakeRecognition recognition;
  wb::ImuRing imu_ring;
  Sharing sharing(imu, mic, 100);
  sharing.begin(true);
  sharing.attach(&recognition);
  sharing.poll_imu(imu_ring);
  check(!imu.running() && imu.last_tap == nullptr, "nobody wants the IMU: off");
  recognition.recognizer.wants = true;  // HID on
  sharing.poll_imu(imu_ring);
  check(imu.running() && imu.rate_hz() == 100, "the recogniser's rate with nobody streaming");
  check(imu.last_ring == nullptr && imu.last_tap == &recognition.tap, "frames to the tap only");
  check(sharing.start_imu(400) && imu.rate_hz() == 400, "the host streams at its own rate");
  sharing.poll_imu(imu_ring);
  check(imu.last_ring == &imu_ring && imu.last_tap == &recognition.tap, "frames to both");
  const int stops = imu.stops;
  sharing.stop_imu();
  check(imu.stops == stops && imu.running(), "the host stops streaming: the recogniser keeps the IMU");
  sharing.poll_imu(imu_ring);
  check(imu.rate_hz() == 100 && imu.last_ring == nullptr && imu.last_tap == &recognition.tap,
        "back at the recogniser's rate, frames to the tap only");
  recognition.recognizer.wants = false;
  sharing.poll_imu(imu_ring);
  check(!imu.running() && imu.last_tap == nullptr, "HID off: the IMU stops");
  // An IMU that never answered is never started, by the host or the recogniser.
  FakeImu dead;
  dead.ok = false;
  Sharing broken(dead, mic, 100);
  broken.begin(false);
  broken.attach(&recognition);
  recognition.recognizer.wants = true;
  check(!broken.start_imu(100), "the host's start fails");
  broken.poll_imu(imu_ring);
  check(dead.starts == 0, "nothing tries the dead IMU");
}

void test_words_keep_the_microphone() {
  FakeImu imu;
  FakeMicrophone mic;
  FakeRecognition recognition;
  wb::AudioRing audio_ring;
  Sharing sharing(imu, mic, 100);
  sharing.begin(true);
  sharing.attach(&recognition);
  sharing.poll_mic(audio_ring);
  check(mic.routes == 0 && recognition.heard_calls == 1, "no words: the microphone stays off");
  recognition.words.on = true;
  sharing.poll_mic(audio_ring);
  check(mic.routes == 1 && mic.host == nullptr && mic.heard == &recognition.heard && mic.restarted,
        "a word stored: the microphone runs for the detector alone");
  sharing.poll_mic(audio_ring);
  check(mic.routes == 1 && recognition.heard_calls == 3, "no new route while nothing changes; heard passed on");
  check(sharing.start_audio(audio_ring) && mic.host == &audio_ring && mic.heard == &recognition.heard && mic.restarted,
        "the host streams too: both rings, the detector's restarted with the host's");
  sharing.stop_audio();
  check(mic.host == nullptr && mic.heard == &recognition.heard && !mic.restarted,
        "the host stops: the detector keeps listening, its ring untouched");
  sharing.start_audio(audio_ring);
  recognition.words.on = false;
  sharing.poll_mic(audio_ring);
  check(mic.host == &audio_ring && mic.heard == nullptr, "the last word cleared: the host's stream goes on alone");
}

}  // namespace

int main() {
  test_without_recognition();
  test_recogniser_keeps_the_imu();
  test_words_keep_the_microphone();
  std::printf("%s: %d checks, %d failures\n", wandlab_test::g_failures == 0 ? "OK" : "FAILED", wandlab_test::g_checks,
              wandlab_test::g_failures);
  return wandlab_test::g_failures == 0 ? 0 : 1;
}
