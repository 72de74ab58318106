// A board's IMU and microphone shared between the host's streams and the board's own recognition: the
// recogniser wants the IMU while it recognises, HID is on or it enrols (at the rate its segment buffer is
// sized for), the wake-word detector wants the microphone while the board holds words - with or without
// the host streaming. The XIAO, Nano 33 and ESP32-S3 layers call it from their SensorControl and loop();
// only their sensor drivers differ:
//   Imu:        bool start(uint16_t rate_hz); void stop(); bool running() const; uint16_t rate_hz() const;
//               size_t poll(board::ImuRing* ring, Tap* tap)
//   Microphone: bool route(board::AudioRing* host, board::AudioRing* heard, bool restart_heard = false)
// Recognition is a BoardRecognition<...> (board_recognition.h: its Tap is a recognizer::RecognizerTap), or
// null when the board has none. The rings are the Board's (imu_ring(), audio_ring()).
// tests/test_sensor_sharing.cpp drives it with fakes of all three.
#pragma once

#include <cstdint>

#include "board.h"

namespace wandlab {
namespace recognition {

template <class Imu, class Microphone, class Recognition>
class SensorSharing {
 public:
  SensorSharing(Imu& imu, Microphone& mic, uint16_t recognizer_rate_hz)
      : imu_(imu), mic_(mic), recognizer_rate_hz_(recognizer_rate_hz) {}

  // At boot: whether the IMU answered at all; then the recognition, once it exists.
  void begin(bool imu_ok) { imu_ok_ = imu_ok; }
  void attach(Recognition* recognition) { recognition_ = recognition; }

  // SensorControl, for the host's streams.
  bool start_imu(uint16_t rate_hz) {
    host_imu_ = imu_ok_ && imu_.start(rate_hz);
    return host_imu_;
  }
  void stop_imu() {
    host_imu_ = false;
    // If the recogniser wants the IMU, poll_imu() moves it to the recogniser's rate.
    if (!recogniser_wants_imu()) imu_.stop();
  }
  // The Board has just reset its audio ring; the detector's ring starts over with it, so a WakeEvent
  // names samples as the host's AudioBlocks do.
  bool start_audio(board::AudioRing& host_ring) {
    board::AudioRing* heard = listening_ ? &recognition_->heard : nullptr;
    host_audio_ = mic_.route(&host_ring, heard, heard != nullptr);
    return host_audio_;
  }
  void stop_audio() {
    host_audio_ = false;
    mic_.route(nullptr, listening_ ? &recognition_->heard : nullptr);
  }

  // Each loop, before Board::poll(): the IMU's frames to the host's ring and the recogniser's tap.
  void poll_imu(board::ImuRing& host_ring) {
    const bool wanted = recogniser_wants_imu();
    if (imu_ok_ && !host_imu_) {
      if (wanted && (!imu_.running() || imu_.rate_hz() != recognizer_rate_hz_)) {
        imu_.start(recognizer_rate_hz_);
      } else if (!wanted && imu_.running()) {
        imu_.stop();
      }
    }
    decltype(&recognition_->tap) tap = recognition_ != nullptr && (host_imu_ || wanted) ? &recognition_->tap : nullptr;
    imu_.poll(host_imu_ ? &host_ring : nullptr, tap);
  }

  // Each loop: holding words keeps the microphone running with nobody streaming; what it heard goes to
  // the detector.
  void poll_mic(board::AudioRing& host_ring) {
    if (recognition_ == nullptr) return;
    const bool listen = recognition_->words.listening();
    if (listen != listening_) {
      listening_ = listen;
      mic_.route(host_audio_ ? &host_ring : nullptr, listen ? &recognition_->heard : nullptr, listen);
    }
    recognition_->hear_pending();
  }

 private:
  bool recogniser_wants_imu() const { return recognition_ != nullptr && recognition_->recognizer.wants_imu(); }

  Imu& imu_;
  Microphone& mic_;
  uint16_t recognizer_rate_hz_;
  Recognition* recognition_ = nullptr;
  bool imu_ok_ = false;
  bool host_imu_ = false;    // the host streams the IMU (else only the recogniser may want it)
  bool host_audio_ = false;  // the host streams audio (else only the wake-word detector may want it)
  bool listening_ = false;   // the wake-word detector has the microphone
};

}  // namespace recognition
}  // namespace wandlab
