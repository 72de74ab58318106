// Host test: the board's wake words in their record (word_store.h). Words come back after a power cycle
// in id order; a failed flash write leaves RAM as flash is; a record of another speech model is dropped
// with a note naming its words as Python sorts them; any damaged byte, or a cut record, is refused with
// a note; a board without a speech model keeps what it finds. The word family's requests over the pty,
// against the native board and the Python one: tests/board/test_wake_words_pty.py.

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "crc32.h"
#include "message_text.h"
#include "word_store.h"
#include "check.h"

namespace wp = wandlab::protocol;
namespace words = wandlab::words;
using wandlab::Text;

using wandlab_test::check;
using wandlab_test::g_checks;
using wandlab_test::g_failures;

namespace {

// A record kept in memory, as a file would keep it; saves fail while `broken`.
class MemRecord : public wandlab::RecordStore {
 public:
  bool load(uint8_t* data, size_t* size) override {
    if (bytes.empty() || bytes.size() > *size) return false;
    std::memcpy(data, bytes.data(), bytes.size());
    *size = bytes.size();
    return true;
  }
  bool save(const uint8_t* data, size_t size) override {
    if (broken) return false;
    bytes.assign(data, data + size);
    ++saves;
    return true;
  }
  std::vector<uint8_t> bytes;
  bool broken = false;
  int saves = 0;
};

constexpr uint32_t kCrc = 0x61061fb5;
constexpr size_t kDim = 32;

std::vector<int8_t> codes(size_t refs, int seed) {
  std::vector<int8_t> out(refs * kDim);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<int8_t>((seed * 37 + static_cast<int>(i) * 11) % 127);
  return out;
}

bool put(words::WordStore& store, uint8_t id, const char* label, size_t refs, int seed, Text* problem = nullptr) {
  Text ignored;
  const std::vector<int8_t> c = codes(refs, seed);
  return store.put(id, wp::Str::of(label), 0.05f * (id + 1), c.data(), refs, kDim, problem ? problem : &ignored);
}

std::string labels(const words::WordStore& store) {
  std::string out;
  for (size_t i = 0; i < store.count(); ++i) out += std::to_string(store.word(i).word_id) + ":" + store.word(i).label + " ";
  return out;
}

bool same_codes(const wandlab::wake::Word& w, int seed) {
  const std::vector<int8_t> c = codes(w.count, seed);
  return std::memcmp(w.codes, c.data(), c.size()) == 0;
}

void round_trip() {
  MemRecord flash;
  {
    words::WordStore store(&flash, true, kCrc);
    check(store.count() == 0 && store.note_count() == 0, "a new board has no words and nothing to say");
    check(put(store, 2, "lumos", 3, 2) && put(store, 0, "nox", 3, 0) && put(store, 1, "accio", 8, 1), "three words");
    check(labels(store) == "0:nox 1:accio 2:lumos ", "kept in id order");
    check(store.free_id() == 3 && store.find_label(wp::Str::of("accio")) == 1 &&
              store.find_label(wp::Str::of("acci")) == store.count(),
          "free id and labels");
    check(store.word(1).count == 8 && same_codes(store.word(1), 1) && store.word(1).threshold == 0.1f,
          "a word's references and threshold");
    check(put(store, 1, "accio", 2, 7), "replace word 1 with fewer references");
  }
  words::WordStore store(&flash, true, kCrc);  // a power cycle
  check(labels(store) == "0:nox 1:accio 2:lumos " && store.note_count() == 0, "the words come back");
  check(store.word(1).count == 2 && same_codes(store.word(1), 7) && same_codes(store.word(0), 0) &&
            same_codes(store.word(2), 2),
        "with their references");
  Text problem;
  check(store.clear(1, &problem) && labels(store) == "0:nox 2:lumos ", "clear one");
  check(store.free_id() == 1, "its id is free again");
  check(store.clear(wp::kAnyWord, &problem) && store.count() == 0, "clear all");
  check(words::WordStore(&flash, true, kCrc).count() == 0, "cleared in flash too");
}

void limits() {
  MemRecord flash;
  words::WordStore store(&flash, true, kCrc);
  for (uint8_t id = 0; id < words::kMaxWords; ++id) {
    char label[8];
    std::snprintf(label, sizeof(label), "w%u", static_cast<unsigned>(id));
    check(put(store, id, label, 8, id), "sixteen full words fit the default pool");
  }
  check(store.free_id() == wp::kAnyWord, "no id left");
  check(store.has_room(3, 8, kDim) && !store.has_room(3, 9, kDim), "replacing a word counts its room");
  Text problem;
  const std::vector<int8_t> c = codes(1, 0);
  check(!store.put(3, wp::Str::of(""), 0.1f, c.data(), 1, kDim, &problem), "an empty label is refused");
  std::string long_label(words::kMaxLabelBytes + 1, 'x');
  check(!store.put(3, wp::Str{long_label.data(), long_label.size()}, 0.1f, c.data(), 1, kDim, &problem),
        "a 65-byte label is refused");
  check(!store.put(3, wp::Str::of("x"), 0.1f, c.data(), 1, 16, &problem), "another dim is refused");
  check(words::WordStore(&flash, true, kCrc).count() == 16, "none of that reached flash");
}

void failed_write() {
  MemRecord flash;
  words::WordStore store(&flash, true, kCrc);
  put(store, 0, "nox", 3, 0);
  flash.broken = true;
  Text problem;
  check(!put(store, 1, "lumos", 3, 1, &problem), "a write that fails is refused");
  check(std::string(problem.view().data, problem.view().size) == "the word store cannot be written (the flash write failed)",
        "with a sentence");
  check(labels(store) == "0:nox ", "RAM is what flash holds");
  check(!store.clear(0, &problem) && labels(store) == "0:nox ", "a failed clear keeps the word");
  flash.broken = false;
  check(put(store, 1, "lumos", 3, 1) && labels(store) == "0:nox 1:lumos ", "the next write works");
}

void another_model() {
  MemRecord flash;
  {
    words::WordStore store(&flash, true, kCrc);
    put(store, 0, "nox", 3, 0);
    put(store, 1, "Lumos", 3, 1);
    put(store, 2, "accio", 3, 2);
  }
  const std::vector<uint8_t> saved = flash.bytes;
  {
    words::WordStore store(&flash, false, 0);  // a firmware without a speech model
    check(store.count() == 3 && store.note_count() == 0, "no speech model: the words are kept, unused");
  }
  check(flash.bytes == saved, "and flash is untouched");
  words::WordStore store(&flash, true, kCrc ^ 1);
  check(store.count() == 0 && store.note_count() == 1, "another speech model: dropped");
  check(std::string(store.note(0)) ==
            "the board's speech model changed: dropped the wake words Lumos, accio, nox (made by the previous one); "
            "enrol them again",
        "the note names them as Python sorts them");
  check(words::WordStore(&flash, true, kCrc ^ 1).note_count() == 0, "said once: flash holds none now");
}

void damage() {
  MemRecord flash;
  {
    words::WordStore store(&flash, true, kCrc);
    put(store, 0, "nox", 3, 0);
    put(store, 5, "lumos", 2, 1);
  }
  const std::vector<uint8_t> good = flash.bytes;
  size_t refused = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; bit += 3) {
      flash.bytes = good;
      flash.bytes[i] ^= static_cast<uint8_t>(1 << bit);
      words::WordStore store(&flash, true, kCrc);
      const bool damaged = store.count() == 0 && store.note_count() == 1 &&
                           std::strstr(store.note(0), "the stored wake words are damaged") == store.note(0);
      refused += damaged ? 1 : 0;
    }
  }
  check(refused == good.size() * 3, "every flipped bit is found");
  for (size_t cut = 1; cut < good.size(); ++cut) {
    flash.bytes.assign(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut));
    words::WordStore store(&flash, true, kCrc);
    if (store.count() != 0 || store.note_count() != 1) {
      check(false, "a cut record is refused");
      break;
    }
  }
  // A record that checks out by its CRC but breaks a rule (a label without its NUL) is refused too.
  flash.bytes = good;
  flash.bytes[12 + 8 + 3] = 'x';  // word 0's NUL
  const size_t end = flash.bytes.size() - 4;
  const uint32_t crc = wp::crc32(flash.bytes.data(), end);
  for (int i = 0; i < 4; ++i) flash.bytes[end + i] = static_cast<uint8_t>(crc >> (8 * i));
  words::WordStore store(&flash, true, kCrc);
  check(store.count() == 0 && store.note_count() == 1, "a label without its end is refused");
}

}  // namespace

int main() {
  round_trip();
  limits();
  failed_write();
  another_model();
  damage();
  std::printf("test_word_store: %d checks, %d failures; sizeof(WordStore) %zu\n", g_checks, g_failures,
              sizeof(words::WordStore));
  return g_failures == 0 ? 0 : 1;
}
