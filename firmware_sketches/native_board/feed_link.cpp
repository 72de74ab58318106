#include "feed_link.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wandlab {
namespace native {

namespace {

void make_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC);
}

// Copies at most `capacity - 1` bytes of UTF-8 and terminates; a cut never splits a character.
void copy_text(const uint8_t* text, size_t size, char* out, size_t capacity) {
  size_t n = size < capacity - 1 ? size : capacity - 1;
  if (n < size) {
    while (n > 0 && (text[n] & 0xC0) == 0x80) --n;  // text[n] continues the character cut off
  }
  std::memcpy(out, text, n);
  out[n] = '\0';
}

}  // namespace

FeedLink::~FeedLink() {
  if (feed_fd_ >= 0) ::close(feed_fd_);
  if (request_fd_ >= 0) ::close(request_fd_);
}

void FeedLink::attach(int feed_fd, int request_fd, FeedSamples& samples, FeedReplies& replies) {
  feed_fd_ = feed_fd;
  request_fd_ = request_fd;
  samples_ = &samples;
  replies_ = &replies;
  make_nonblocking(feed_fd_);
  make_nonblocking(request_fd_);
}

void FeedLink::gone(const char* why) {
  if (feed_fd_ < 0) return;
  ::close(feed_fd_);
  ::close(request_fd_);
  feed_fd_ = request_fd_ = -1;
  rx_fill_ = tx_pending_ = 0;
  replies_->on_feeder_gone(why);
}

void FeedLink::receive() {
  size_t budget = kMaxReadPerCall;
  while (feed_fd_ >= 0 && budget > 0) {
    const ssize_t n = ::read(feed_fd_, rx_ + rx_fill_, sizeof(rx_) - rx_fill_);
    if (n == 0) return gone("the sample feeder closed its pipe");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      return gone("reading the sample feeder's pipe failed");
    }
    rx_fill_ += static_cast<size_t>(n);
    budget = static_cast<size_t>(n) >= budget ? 0 : budget - static_cast<size_t>(n);
    size_t at = 0;
    while (rx_fill_ - at >= feed::kHeaderBytes) {
      const size_t size = feed::get_u16(rx_ + at + 2);
      if (size > feed::kMaxPayload) return gone("the sample feeder sent a record over the size limit");
      if (rx_fill_ - at < feed::kHeaderBytes + size) break;
      const auto kind = static_cast<feed::Kind>(rx_[at]);
      if (!dispatch(kind, rx_ + at + feed::kHeaderBytes, size)) {
        return gone("the sample feeder sent a malformed record");
      }
      at += feed::kHeaderBytes + size;
    }
    std::memmove(rx_, rx_ + at, rx_fill_ - at);
    rx_fill_ -= at;
  }
}

bool FeedLink::dispatch(feed::Kind kind, const uint8_t* payload, size_t size) {
  switch (kind) {
    case feed::Kind::kImu:
      if (size < 2 || size % 2 != 0) return false;
      samples_->on_imu(feed::get_u16(payload), payload + 2, (size - 2) / 2);
      return true;
    case feed::Kind::kAudio:
      if (size % 2 != 0) return false;
      samples_->on_audio(payload, size / 2);
      return true;
    case feed::Kind::kReply:
      if (size < 4) return false;
      copy_text(payload + 4, size - 4, text_, sizeof(text_));
      replies_->on_reply(feed::get_u16(payload), feed::get_u16(payload + 2), text_);
      return true;
    default:
      return false;  // a board record sent back, or garbage
  }
}

bool FeedLink::send(feed::Kind kind, const uint8_t* payload, size_t size) {
  if (request_fd_ < 0 || size > feed::kMaxPayload) return false;
  if (feed::kHeaderBytes + size > kTxBytes - tx_pending_) {
    flush();
    if (feed::kHeaderBytes + size > kTxBytes - tx_pending_) return false;
  }
  uint8_t* out = tx_ + tx_pending_;
  out[0] = static_cast<uint8_t>(kind);
  out[1] = 0;
  feed::put_u16(out + 2, static_cast<uint16_t>(size));
  if (size > 0) std::memcpy(out + feed::kHeaderBytes, payload, size);
  tx_pending_ += feed::kHeaderBytes + size;
  flush();
  return request_fd_ >= 0;  // false if the pipe broke just now
}

bool FeedLink::send_request(uint8_t type, uint16_t seq, const uint8_t* payload, size_t size) {
  if (size > protocol::kMaxPayload) return false;
  uint8_t record[feed::kMaxPayload];
  record[0] = type;
  record[1] = 0;
  feed::put_u16(record + 2, seq);
  if (size > 0) std::memcpy(record + feed::kRequestHeaderBytes, payload, size);
  return send(feed::Kind::kRequest, record, feed::kRequestHeaderBytes + size);
}

void FeedLink::flush() {
  while (tx_pending_ > 0 && request_fd_ >= 0) {
    const ssize_t n = ::write(request_fd_, tx_, tx_pending_);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      return gone("the sample feeder stopped reading (broken pipe)");
    }
    std::memmove(tx_, tx_ + n, tx_pending_ - static_cast<size_t>(n));
    tx_pending_ -= static_cast<size_t>(n);
  }
}

}  // namespace native
}  // namespace wandlab
