// Where the native board keeps what a real board keeps in flash: its model slots, its own classes and
// its HID map (file_flash.h). --state-dir DIR names a directory that outlives the board (created if
// missing), so a restart on it is a power cycle; without it a fresh temporary directory is used and
// removed at exit, and every start is a board fresh from the factory (the Python virtual wand without
// a state_dir).
#pragma once

#include <cstddef>

#include "file_flash.h"

namespace wandlab {
namespace native {

// The files in it. Named apart from the Python virtual wand's (slot0.bin, refs.json, ...), so one
// directory can hold both boards' state without either reading the other's.
constexpr const char* kFlashFile = "native-flash.bin";
constexpr const char* kRefsRecordFile = "native-refs.rec";
constexpr const char* kHidRecordFile = "native-hid.rec";
constexpr const char* kWordsRecordFile = "native-words.rec";

class StateDir {
 public:
  StateDir() = default;
  ~StateDir() { remove_temporary(); }
  StateDir(const StateDir&) = delete;
  StateDir& operator=(const StateDir&) = delete;

  // `path` (created if missing), or a new temporary directory if path is empty. False, with error().
  bool open(const char* path);
  const char* path() const { return path_; }
  // Whether it outlives the board (a directory the user gave): then writes are synced for power cuts.
  bool kept() const { return kept_; }
  const char* error() const { return error_; }
  // `name` in this directory into out; false if it does not fit.
  bool file(const char* name, char* out, size_t capacity) const;
  // A temporary directory goes, with everything in it; a kept one stays. Idempotent.
  void remove_temporary();

 private:
  char path_[kMaxPathBytes] = {};
  bool kept_ = false;
  bool temporary_ = false;
  char error_[kMaxErrorBytes] = {};
};

}  // namespace native
}  // namespace wandlab
