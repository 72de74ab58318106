#include "enroll_session.h"

#include <cmath>
#include <cstring>

namespace wandlab {
namespace enroll {
namespace {

namespace wp = protocol;

constexpr uint64_t kPowersOfTen[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

// round(value * 10^decimals), half to even, on the double's exact value: value = m / 2^shift with m
// below 2^53, so m * 10^decimals (below 2^63 for decimals <= 3) holds the scaled value exactly and the
// bits shifted out decide the rounding.
uint64_t round_scaled(double value, int decimals) {
  if (!(value > 0.0)) return 0;
  int exponent = 0;
  const double fraction = std::frexp(value, &exponent);  // value = fraction * 2^exponent, fraction in [0.5, 1)
  const uint64_t m = static_cast<uint64_t>(std::ldexp(fraction, 53));
  const int shift = 53 - exponent;
  const uint64_t scale = kPowersOfTen[decimals];
  if (shift <= 0) return (m << -shift) * scale;  // an integer (callers keep value below 2^31)
  if (shift >= 64) return 0;                     // below 2^-11: 0 at three decimals or fewer
  const uint64_t scaled = m * scale;
  uint64_t q = scaled >> shift;
  const uint64_t rest = scaled & ((uint64_t{1} << shift) - 1);
  const uint64_t half = uint64_t{1} << (shift - 1);
  if (rest > half || (rest == half && (q & 1) != 0)) ++q;
  return q;
}

// `digits` digits of v, zero-padded on the left; trailing zeros dropped if `strip`.
void add_digits(Text* text, uint64_t v, int digits, bool strip) {
  char out[8];
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  int n = digits;
  while (strip && n > 0 && out[n - 1] == '0') --n;
  text->add(out, static_cast<size_t>(n));
}

}  // namespace

void add_fixed(Text* text, double value, int decimals) {
  if (decimals < 0) decimals = 0;
  if (decimals > 3) decimals = 3;
  const uint64_t q = round_scaled(value, decimals);
  const uint64_t scale = kPowersOfTen[decimals];
  text->add_int(static_cast<int64_t>(q / scale));
  if (decimals > 0) {
    text->add(".");
    add_digits(text, q % scale, decimals, false);
  }
}

void add_seconds_g(Text* text, uint32_t milliseconds) {
  if (milliseconds < 1000000u) {  // at most six digits: the exact decimal is what %g shows
    text->add_int(milliseconds / 1000);
    if (milliseconds % 1000 != 0) {
      text->add(".");
      add_digits(text, milliseconds % 1000, 3, true);
    }
    return;
  }
  // Six significant digits `s` of the value, and its decimal exponent `x`.
  uint64_t s = 0;
  int x = 0;
  if (milliseconds < 1000000000u) {
    x = milliseconds < 10000000u ? 3 : milliseconds < 100000000u ? 4 : 5;
    s = round_scaled(static_cast<double>(milliseconds) / 1000.0, 5 - x);
  } else {
    // Seven integer digits: drop four digits of the milliseconds. A tie (the dropped digits 5000) is a
    // whole number of seconds, exact in a double, so rounding the integer rounds the double.
    x = 6;
    s = milliseconds / 10000u;
    const uint32_t rest = milliseconds % 10000u;
    if (rest > 5000u || (rest == 5000u && (s & 1) != 0)) ++s;
  }
  if (s >= 1000000u) {  // rounded up to the next power of ten
    s /= 10;
    ++x;
  }
  if (x < 6) {
    const uint64_t scale = kPowersOfTen[5 - x];
    text->add_int(static_cast<int64_t>(s / scale));
    if (s % scale != 0) {
      text->add(".");
      add_digits(text, s % scale, 5 - x, true);
    }
    return;
  }
  text->add_int(static_cast<int64_t>(s / 100000u));
  if (s % 100000u != 0) {
    text->add(".");
    add_digits(text, s % 100000u, 5, true);
  }
  text->add("e+");
  add_digits(text, static_cast<uint64_t>(x), 2, false);
}

// -- the session ------------------------------------------------------------------------------------

void EnrollSession::start(const wp::EnrollStart& request, uint8_t class_id, uint64_t now_us, ProgressSink& sink) {
  running_ = true;
  class_id_ = class_id;
  wanted_ = static_cast<uint8_t>(request.shots < kMaxShots ? request.shots : kMaxShots);  // checked before: 1-10
  timeout_ms_ = request.timeout_ms;
  label_size_ = static_cast<uint8_t>(request.label.size < kMaxLabelBytes ? request.label.size : kMaxLabelBytes);
  if (label_size_ > 0) std::memcpy(label_, request.label.data, label_size_);
  count_ = 0;
  has_codes_ = true;
  deadline_us_ = now_us + uint64_t{timeout_ms_} * 1000u;
  text_.clear();
  prompt(&text_);
  send(wp::EnrollState::kWaiting, sink);
}

void EnrollSession::prompt(Text* text) const {
  text->add("Perform take ").add_int(count_ + 1).add(" of ").add_int(wanted_);
}

bool EnrollSession::on_segment(const int8_t* embedding, size_t dim, double seconds, bool clipped, uint64_t now_us,
                               ProgressSink& sink, const int8_t* codes, size_t code_bytes) {
  if (!running_ || finished()) return true;
  if (dim > kMaxEmbeddingValues) return false;
  text_.clear();
  if (clipped) {  // motion never stopped: hard to say where the gesture was
    deadline_us_ = now_us + uint64_t{timeout_ms_} * 1000u;
    text_.add("the take ran ");
    add_fixed(&text_, seconds, 1);
    text_.add(" s without a pause; hold still, then perform take ").add_int(count_ + 1).add(" of ").add_int(wanted_);
    send(wp::EnrollState::kWaiting, sink);
    return true;
  }
  std::memcpy(shots_ + static_cast<size_t>(count_) * dim, embedding, dim);
  if (codes == nullptr || code_bytes == 0 || code_bytes > shape::kMaxFrames * shape::kMaxChannels) {
    has_codes_ = false;
  } else {
    std::memcpy(shapes_ + static_cast<size_t>(count_) * code_bytes, codes, code_bytes);
  }
  ++count_;
  text_.add("take ").add_int(count_).add(" captured (");
  add_fixed(&text_, seconds, 2);
  text_.add(" s)");
  send(wp::EnrollState::kCaptured, sink);
  if (!finished()) {
    deadline_us_ = now_us + uint64_t{timeout_ms_} * 1000u;
    text_.clear();
    prompt(&text_);
    send(wp::EnrollState::kWaiting, sink);
  }
  return true;
}

void EnrollSession::tick(uint64_t now_us, ProgressSink& sink) {
  if (!running_ || finished() || now_us < deadline_us_) return;
  running_ = false;
  text_.clear();
  text_.add("no gesture within ");
  add_seconds_g(&text_, timeout_ms_);
  text_.add(" s for take ").add_int(count_ + 1).add(" of ").add_int(wanted_).add("; nothing was stored");
  send(wp::EnrollState::kFailed, sink);
}

void EnrollSession::fail(const wp::Str& message, ProgressSink& sink) {
  running_ = false;
  text_.clear();
  text_.add(message);
  send(wp::EnrollState::kFailed, sink);
}

void EnrollSession::succeed(const wp::Str& message, ProgressSink& sink) {
  running_ = false;
  text_.clear();
  text_.add(message);
  send(wp::EnrollState::kDone, sink);
}

void EnrollSession::send(wp::EnrollState state, ProgressSink& sink) {
  wp::EnrollProgress m;
  m.class_id = class_id_;
  m.shot = count_;
  m.shots = wanted_;
  m.state = static_cast<uint8_t>(state);
  m.message = text_.view();
  sink.progress(m);
}

}  // namespace enroll
}  // namespace wandlab
