// Where a board keeps a small record that must survive power cuts (its own classes, its HID map): a
// file on the native board, two alternating flash pages on a board. The core hands over the whole
// record, already in its final form (version + CRC inside); the board only has to store it atomically.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {

class RecordStore {
 public:
  // The last record saved, into data; *size is the capacity on entry and the record's size on return.
  // False: nothing saved yet (or unreadable).
  virtual bool load(uint8_t* data, size_t* size) = 0;
  // Replaces the record atomically: after a power cut the board loads either the old or the new one.
  virtual bool save(const uint8_t* data, size_t size) = 0;

 protected:
  ~RecordStore() = default;
};

}  // namespace wandlab
