// The board's HID map (class -> key, consumer key or mouse action) and HID on/off, kept across power
// cuts: the C++ twin of app/wandlab/virtual/hid_map.py (check_actions, HidSettings) and of the
// HidMapSet/HidMapGet/HidEnable branches of app/wandlab/virtual/recognizer.py handle(), with Python's
// error texts byte for byte.
//
// A map the board cannot send is refused whole, so a bad HidMapSet never leaves half a map. Actions of
// kind NONE are dropped when stored. Persisted after every change through a RecordStore, compactly:
//   "WLHS", u8 version, u8 enabled, u8 count, then per action (ascending class id) u8 class, u8 kind,
//   u16 code, u8 modifiers, i16 dx, i16 dy; then the zlib CRC-32 of everything before it (little-endian).
// A record that does not check out (size, CRC, version, or actions check_actions refuses) is ignored:
// the map starts empty and HID off, as Python does with a hid.json it cannot use.
//
// A HidMapSet with more than kMaxHidActions actions does not decode in C++ (WireError::kTooMany); the
// board answers it with count_error(payload[0]) - the count byte leads the payload - as Python's
// check_actions does.
//
// RAM: sizeof(HidSettings), about 330 bytes (32 actions); saving uses 300 bytes of stack.
#pragma once

#include <cstddef>
#include <cstdint>

#include "message_text.h"
#include "messages.h"
#include "record_store.h"

namespace wandlab {
namespace hid {

constexpr size_t kMaxActions = protocol::kMaxHidActions;  // hid_map.MAX_ACTIONS
constexpr uint16_t kMaxKeyUsage = 0xE7;       // keyboard usages end at Right GUI
constexpr uint16_t kMaxConsumerUsage = 0x3FF;  // 10-bit consumer usage ids (BLE HID consumer reports)
constexpr uint8_t kAllModifiers = 0x0F;
constexpr uint8_t kRecordVersion = 1;
constexpr size_t kActionBytes = 9;
constexpr size_t kMaxRecordBytes = 7 + kMaxActions * kActionBytes + 4;

// check_actions: false with the text for the first action the board could not send.
bool check_actions(const protocol::HidAction* actions, size_t count, Text* error);
// The text check_actions gives a map of `count` (> kMaxActions) actions.
void count_error(size_t count, Text* error);

class HidSettings {
 public:
  explicit HidSettings(RecordStore* record = nullptr);  // loads the record, if any

  bool set(const protocol::HidMapSet& request, Text* error);  // HidMapSet: true -> Ack
  void enable(bool on);                                       // HidEnable (then Ack)
  void message(protocol::HidMap* out) const;                  // HidMapGet -> HidMap
  bool enabled() const { return enabled_; }
  // The action for a recognised class, or null.
  const protocol::HidAction* action_for(uint8_t class_id) const;

 private:
  void save() const;
  bool load(const uint8_t* data, size_t size);

  RecordStore* record_store_;
  protocol::HidAction actions_[kMaxActions];  // ascending class id
  size_t count_ = 0;
  bool enabled_ = false;
};

}  // namespace hid
}  // namespace wandlab
