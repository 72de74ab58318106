// Wake words on the board; see board_words.h.

#include "board_words.h"

#include <cmath>
#include <cstring>

namespace wandlab {
namespace words {

namespace wp = protocol;

namespace {

using board::decode_request;

// Python's str.strip() leaves nothing (ASCII whitespace; a label of other Unicode spaces is rare enough).
bool blank(const wp::Str& s) {
  for (size_t i = 0; i < s.size; ++i) {
    const char c = s.data[i];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') return false;
  }
  return true;
}

// The wakes of one block, announced once the block's time is known (a block of 256 samples completes
// at most one hop, so at most one wake; room for more costs nothing).
struct Heard : wake::Listener {
  wake::Wake wakes[4];
  size_t count = 0;
  void on_wake(const wake::Wake& wake) override {
    if (count < 4) wakes[count++] = wake;
  }
};

}  // namespace

BoardWords::BoardWords(wake::Embedder* embedder, uint32_t model_crc, const char* problem,
                       recognizer::Recognizer& recognizer, board::Clock& clock, RecordStore* record)
    : embedder_(embedder),
      model_crc_(model_crc),
      problem_(problem != nullptr ? problem : ""),
      recognizer_(recognizer),
      clock_(clock),
      store_(record, embedder != nullptr, model_crc),
      detector_(embedder != nullptr ? *embedder : static_cast<wake::Embedder&>(no_model_)) {
  sync();
}

void BoardWords::begin(board::Board& board) {
  board_ = &board;
  for (size_t i = 0; i < store_.note_count(); ++i) {
    board.send(wp::Log{static_cast<uint8_t>(wp::LogLevel::kWarning), wp::Str::of(store_.note(i))});
  }
}

bool BoardWords::on_request(const wp::Packet& packet, board::Board& board) {
  switch (packet.type) {
    case wp::WordList::kType:
      list(board);
      return true;
    case wp::WordUpload::kType:
    case wp::WordClear::kType:
      break;
    default:
      return false;
  }
  if (embedder_ == nullptr) {
    Text text;
    text.add("this board cannot detect wake words: ").add(problem_);
    board.reply_error(packet.seq, wp::ErrorCode::kUnsupported, text.view());
    return true;
  }
  if (packet.type == wp::WordUpload::kType) {
    upload(packet, board);
  } else {
    clear(packet, board);
  }
  return true;
}

void BoardWords::list(board::Board& board) {
  wp::WordListReply reply;
  if (embedder_ != nullptr) {
    reply.model_crc = model_crc_;
    reply.dim = static_cast<uint8_t>(embedder_->dim());
    for (size_t i = 0; i < store_.count() && i < wp::kMaxWords; ++i) {
      const wake::Word w = store_.word(i);
      reply.words[i] = wp::WordInfo{w.word_id, wp::Str::of(w.label), static_cast<uint8_t>(w.count), w.threshold};
      reply.word_count = i + 1;
    }
  }
  board.send(reply);
}

void BoardWords::clear(const wp::Packet& packet, board::Board& board) {
  wp::WordClear m;
  if (!decode_request(packet, &m)) {
    board.reply_error(packet.seq, wp::ErrorCode::kBadArgument, "a WordClear that does not decode");
    return;
  }
  Text text;
  if (m.word_id != wp::kAnyWord && store_.find_id(m.word_id) == store_.count()) {
    text.add("no word ").add_int(m.word_id).add(" on the board");
    board.reply_error(packet.seq, wp::ErrorCode::kBadArgument, text.view());
    return;
  }
  const bool saved = store_.clear(m.word_id, &text);
  sync();
  if (saved) {
    board.ack(packet.seq);
  } else {
    board.reply_error(packet.seq, wp::ErrorCode::kInternal, text.view());
  }
}

bool BoardWords::upload_problem(const wp::WordUpload& m, Text* text) const {
  if (m.model_crc != model_crc_) {
    text->add("'").add(m.label).add("' was embedded by speech model ").add_hex(m.model_crc, 8);
    text->add(", this board runs ").add_hex(model_crc_, 8);
    text->add(": enrol it with an app whose speech model matches the firmware");
    return true;
  }
  if (blank(m.label)) {
    text->add("a wake word needs a label");
    return true;
  }
  if (m.label.size > kMaxLabelBytes) {
    text->add("a wake word's label is at most ").add_int(static_cast<int64_t>(kMaxLabelBytes)).add(" bytes");
    return true;
  }
  if (m.word_id != wp::kAnyWord && m.word_id >= kMaxWords) {
    text->add("word ids are 0-").add_int(static_cast<int64_t>(kMaxWords - 1)).add(" (255: the board picks)");
    return true;
  }
  const size_t dim = embedder_->dim();
  if (m.dim != dim || m.embeddings.size == 0 || m.embeddings.size % dim != 0) {
    text->add("a word's references must be whole ").add_int(static_cast<int64_t>(dim));
    text->add("-D int8 vectors (got dim ").add_int(m.dim).add(", ");
    text->add_int(static_cast<int64_t>(m.embeddings.size)).add(" bytes)");
    return true;
  }
  const size_t count = m.embeddings.size / dim;
  if (count > wake::kMaxRefsPerWord) {
    text->add("a word holds at most ").add_int(static_cast<int64_t>(wake::kMaxRefsPerWord));
    text->add(" references, got ").add_int(static_cast<int64_t>(count));
    return true;
  }
  if (!std::isfinite(m.threshold) || !(m.threshold > 0.0f && m.threshold < 2.0f)) {
    text->add("threshold ").add_float(static_cast<double>(m.threshold)).add(" is not a cosine distance between 0 and 2");
    return true;
  }
  return false;
}

void BoardWords::upload(const wp::Packet& packet, board::Board& board) {
  wp::WordUpload m;
  if (!decode_request(packet, &m)) {
    board.reply_error(packet.seq, wp::ErrorCode::kBadArgument, "a WordUpload that does not decode");
    return;
  }
  Text text;
  bool refused = upload_problem(m, &text);
  uint8_t word_id = m.word_id;
  const size_t same = store_.find_label(m.label);
  if (!refused && word_id == wp::kAnyWord) {  // "board, pick": the word with this label, else a free id
    word_id = same < store_.count() ? store_.word(same).word_id : store_.free_id();
    if (word_id == wp::kAnyWord) {
      text.add("the board holds ").add_int(static_cast<int64_t>(kMaxWords)).add(" words, its most: clear one first");
      refused = true;
    }
  }
  if (!refused && same < store_.count() && store_.word(same).word_id != word_id) {
    text.add("'").add(m.label).add("' is already word ").add_int(store_.word(same).word_id);
    text.add(": clear it first or upload to that id");
    refused = true;
  }
  const size_t dim = embedder_->dim();
  const size_t refs = m.embeddings.size / (dim > 0 ? dim : 1);
  if (!refused && !store_.has_room(word_id, refs, dim)) {
    text.add("the board has no room for more wake word references (").add_int(static_cast<int64_t>(kPoolBytes));
    text.add(" bytes): clear a word first");
    refused = true;
  }
  if (refused) {
    board.reply_error(packet.seq, wp::ErrorCode::kBadArgument, text.view());
    return;
  }
  const bool saved = store_.put(word_id, m.label, m.threshold, reinterpret_cast<const int8_t*>(m.embeddings.data),
                                refs, dim, &text);
  sync();
  if (saved) {
    board.ack(packet.seq);
  } else {
    board.reply_error(packet.seq, wp::ErrorCode::kInternal, text.view());
  }
}

void BoardWords::sync() {
  if (embedder_ == nullptr) return;
  // It has heard nothing while the board held no words: a window must not join old audio to new.
  if (detector_.word_count() == 0) detector_.restart();
  wake::Word words[kMaxWords];
  const size_t n = store_.count();
  for (size_t i = 0; i < n; ++i) words[i] = store_.word(i);
  if (detector_.set_words(words, n) != wake::Status::kOk) detector_.set_words(words, 0);
}

void BoardWords::hear(const int16_t* pcm, size_t n, uint32_t first_index) {
  if (!listening()) {
    queued_ = 0;
    return;
  }
  while (n > 0) {
    // A gap (the microphone restarted, or the host's numbering began) or a full queue: decide now.
    if (queued_ > 0 && queue_first_ + static_cast<uint32_t>(queued_) != first_index) feed_queued(queued_);
    if (queued_ == kQueuedSamples) feed_queued(queued_);
    if (queued_ == 0) queue_first_ = first_index;
    size_t take = kQueuedSamples - queued_;
    if (take > n) take = n;
    std::memcpy(queue_ + queued_, pcm, take * sizeof(int16_t));
    queued_ += take;
    pcm += take;
    n -= take;
    first_index += static_cast<uint32_t>(take);
  }
}

void BoardWords::deliver() {
  if (queued_ == 0 || board_ == nullptr) return;
  size_t n = queued_;
  if (board_->streaming_audio()) {
    // Only samples of AudioBlocks already sent (whole blocks, numbered from 0): the samples of a block
    // still filling wait for it, so a WakeEvent never names a sample the host does not have yet.
    const uint32_t end = queue_first_ + static_cast<uint32_t>(queued_);
    const uint32_t sent = end - end % static_cast<uint32_t>(board::kAudioBlockSamples);
    const int32_t ready = static_cast<int32_t>(sent - queue_first_);
    n = ready > 0 ? static_cast<size_t>(ready) : 0;
  }
  feed_queued(n);
}

void BoardWords::feed_queued(size_t n) {
  if (n == 0) return;
  if (listening() && board_ != nullptr) feed(queue_, n, queue_first_);
  std::memmove(queue_, queue_ + n, (queued_ - n) * sizeof(int16_t));
  queued_ -= n;
  queue_first_ += static_cast<uint32_t>(n);
}

void BoardWords::announce(const wake::Wake& wake, uint32_t latency_us) {
  ++wakes_;
  wp::WakeEvent event;
  event.word_id = wake.word_id;
  event.label = wp::Str::of(wake.label);
  event.distance = wake.distance;
  event.threshold = wake.threshold;
  event.audio_sample_index = static_cast<uint32_t>(wake.sample_index);
  event.latency_us = latency_us;
  board_->send(event);
  wp::HidReport report;
  if (recognizer_.act(static_cast<uint8_t>(wp::kWordClassBase + wake.word_id), &report)) board_->send(report);
}

void BoardWords::feed(const int16_t* pcm, size_t n, uint32_t first_index) {
  // The detector counts in 64 bits; the board's 32-bit index continues it across a wrap.
  const int64_t next = detector_.next_index();
  int64_t index = (next & ~static_cast<int64_t>(0xFFFFFFFF)) | first_index;
  if (index < next - (static_cast<int64_t>(1) << 31)) index += static_cast<int64_t>(1) << 32;
  // Block by block as a board's microphone gives them: a wake's latency is its own block's time.
  constexpr size_t kBlock = board::kAudioBlockSamples;
  for (size_t done = 0; done < n;) {
    const size_t step = n - done < kBlock ? n - done : kBlock;
    const uint32_t start = clock_.micros();
    Heard heard;
    detector_.feed(pcm + done, step, index + static_cast<int64_t>(done), heard);
    const uint32_t latency_us = clock_.micros() - start;
    for (size_t i = 0; i < heard.count; ++i) announce(heard.wakes[i], latency_us);
    done += step;
  }
}

}  // namespace words
}  // namespace wandlab
