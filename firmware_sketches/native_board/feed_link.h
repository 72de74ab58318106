// The board's end of the feed pipes (feed_records.h): reads whole records without ever blocking and
// hands them on; writes the board's records, keeping a partial write until the pipe takes the rest.
// The feeder going away (end of file, a broken pipe, a record that makes no sense) is remembered and
// reported once, never fatal: the board plays on without it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "feed_records.h"

namespace wandlab {
namespace native {

// Samples from the feeder. `counts` / `samples` point into the record (little-endian int16, possibly
// unaligned: read them with feed::get_i16s); valid only during the call.
class FeedSamples {
 public:
  virtual void on_imu(uint16_t epoch, const uint8_t* counts, size_t values) = 0;
  virtual void on_audio(const uint8_t* samples, size_t count) = 0;

 protected:
  ~FeedSamples() = default;
};

// The feeder's answers to forwarded requests, and its departure.
class FeedReplies {
 public:
  // `text` is NUL-terminated, at most feed::kMaxReplyText bytes, cut at a UTF-8 character boundary.
  virtual void on_reply(uint16_t seq, uint16_t code, const char* text) = 0;
  virtual void on_feeder_gone(const char* why) = 0;

 protected:
  ~FeedReplies() = default;
};

class FeedLink {
 public:
  // What the board may have queued for a feeder that is slow to read: many requests and credits.
  static constexpr size_t kTxBytes = 16 * 1024;
  // Bytes read per receive() at most, so a flooding feeder cannot starve the protocol loop.
  static constexpr size_t kMaxReadPerCall = 64 * 1024;

  FeedLink() = default;
  ~FeedLink();
  FeedLink(const FeedLink&) = delete;
  FeedLink& operator=(const FeedLink&) = delete;

  // Takes over the two pipe ends (made non-blocking and close-on-exec).
  void attach(int feed_fd, int request_fd, FeedSamples& samples, FeedReplies& replies);
  bool alive() const { return feed_fd_ >= 0; }
  // For poll(): -1 without a feeder.
  int feed_fd() const { return feed_fd_; }

  // Reads and dispatches the whole records waiting on the feed pipe.
  void receive();
  // Queues one record whole, or nothing (false: no feeder, or no room until it reads).
  bool send(feed::Kind kind, const uint8_t* payload, size_t size);
  bool send_request(uint8_t type, uint16_t seq, const uint8_t* payload, size_t size);
  // Moves queued bytes into the request pipe as far as it takes them.
  void flush();

 private:
  void gone(const char* why);
  bool dispatch(feed::Kind kind, const uint8_t* payload, size_t size);

  int feed_fd_ = -1;
  int request_fd_ = -1;
  FeedSamples* samples_ = nullptr;
  FeedReplies* replies_ = nullptr;
  uint8_t rx_[feed::kMaxRecord];
  size_t rx_fill_ = 0;
  uint8_t tx_[kTxBytes];
  size_t tx_pending_ = 0;
  char text_[feed::kMaxReplyText + 1];
};

}  // namespace native
}  // namespace wandlab
