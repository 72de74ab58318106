#include "hid_settings.h"

#include <cstring>

#include "crc32.h"
#include "little_endian.h"

namespace wandlab {
namespace hid {
namespace {

namespace wp = protocol;

constexpr uint8_t kMagic[4] = {'W', 'L', 'H', 'S'};

using le::get_u16;
using le::get_u32;
using le::put_u16;

}  // namespace

void count_error(size_t count, Text* error) {
  error->add("a HID map holds at most 32 actions, got ").add_int(static_cast<int64_t>(count));
}

bool check_actions(const wp::HidAction* actions, size_t count, Text* error) {
  if (count > kMaxActions) {
    count_error(count, error);
    return false;
  }
  for (size_t i = 0; i < count; ++i) {
    const wp::HidAction& a = actions[i];
    if (a.class_id == wp::kNoClass) {
      error->add("class 255 means 'none of these' and cannot have an action");
      return false;
    }
    for (size_t j = 0; j < i; ++j) {
      if (actions[j].class_id == a.class_id) {
        error->add("class ").add_int(a.class_id).add(" has two actions; a recognition presses one thing");
        return false;
      }
    }
    Text why;
    const auto kind = static_cast<wp::ActionKind>(a.kind);
    if (a.kind > static_cast<uint8_t>(wp::ActionKind::kMouseMove)) {
      why.add("unknown action kind ").add_int(a.kind);
    } else if (a.modifiers & ~kAllModifiers) {
      why.add("unknown modifier bits 0x").add_hex(a.modifiers, 2);
    } else if (kind == wp::ActionKind::kKey && !(a.code >= 0x04 && a.code <= kMaxKeyUsage)) {
      why.add("0x").add_hex(a.code, 2).add(" is not a keyboard usage (0x04-0xE7)");
    } else if (kind == wp::ActionKind::kConsumer && !(a.code > 0 && a.code <= kMaxConsumerUsage)) {
      why.add("0x").add_hex(a.code).add(" is not a consumer usage (1-0x3FF)");
    } else if (kind == wp::ActionKind::kMouseClick && !(a.code > 0 && a.code <= 7)) {
      why.add("mouse button mask must be 1-7");
    } else if (kind == wp::ActionKind::kMouseMove && !(a.dx >= -127 && a.dx <= 127 && a.dy >= -127 && a.dy <= 127)) {
      why.add("mouse moves are -127..127 counts per report");
    } else {
      continue;
    }
    error->add("class ").add_int(a.class_id).add(": ").add(why.view());
    return false;
  }
  return true;
}

HidSettings::HidSettings(RecordStore* record) : record_store_(record) {
  uint8_t data[kMaxRecordBytes];
  size_t size = sizeof(data);
  if (record_store_ != nullptr && record_store_->load(data, &size) && size <= sizeof(data)) load(data, size);
}

bool HidSettings::load(const uint8_t* data, size_t size) {
  if (size < 11 || std::memcmp(data, kMagic, 4) != 0 || data[4] != kRecordVersion || data[5] > 1 ||
      data[6] > kMaxActions || size != 7 + data[6] * kActionBytes + 4 ||
      get_u32(data + size - 4) != protocol::crc32(data, size - 4)) {
    return false;
  }
  wp::HidAction actions[kMaxActions];
  const size_t count = data[6];
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* p = data + 7 + i * kActionBytes;
    actions[i].class_id = p[0];
    actions[i].kind = p[1];
    actions[i].code = get_u16(p + 2);
    actions[i].modifiers = p[4];
    actions[i].dx = static_cast<int16_t>(get_u16(p + 5));
    actions[i].dy = static_cast<int16_t>(get_u16(p + 7));
  }
  Text ignored;
  if (!check_actions(actions, count, &ignored)) return false;
  for (size_t i = 0; i < count; ++i) actions_[i] = actions[i];
  count_ = count;
  enabled_ = data[5] == 1;
  return true;
}

void HidSettings::save() const {
  if (record_store_ == nullptr) return;
  uint8_t data[kMaxRecordBytes];
  std::memcpy(data, kMagic, 4);
  data[4] = kRecordVersion;
  data[5] = enabled_ ? 1 : 0;
  data[6] = static_cast<uint8_t>(count_);
  for (size_t i = 0; i < count_; ++i) {
    uint8_t* p = data + 7 + i * kActionBytes;
    p[0] = actions_[i].class_id;
    p[1] = actions_[i].kind;
    put_u16(p + 2, actions_[i].code);
    p[4] = actions_[i].modifiers;
    put_u16(p + 5, static_cast<uint16_t>(actions_[i].dx));
    put_u16(p + 7, static_cast<uint16_t>(actions_[i].dy));
  }
  const size_t used = 7 + count_ * kActionBytes;
  const uint32_t crc = protocol::crc32(data, used);
  for (int i = 0; i < 4; ++i) data[used + i] = static_cast<uint8_t>(crc >> (8 * i));
  record_store_->save(data, used + 4);
}

bool HidSettings::set(const wp::HidMapSet& request, Text* error) {
  if (!check_actions(request.actions, request.action_count, error)) return false;
  // Sorted by class id on the way in, so HidMap lists them as Python's message() does.
  count_ = 0;
  for (size_t i = 0; i < request.action_count; ++i) {
    const wp::HidAction& a = request.actions[i];
    if (a.kind == static_cast<uint8_t>(wp::ActionKind::kNone)) continue;
    size_t at = count_++;
    while (at > 0 && actions_[at - 1].class_id > a.class_id) {
      actions_[at] = actions_[at - 1];
      --at;
    }
    actions_[at] = a;
  }
  save();
  return true;
}

void HidSettings::enable(bool on) {
  enabled_ = on;
  save();
}

void HidSettings::message(wp::HidMap* out) const {
  out->enabled = enabled_ ? 1 : 0;
  out->action_count = count_;
  for (size_t i = 0; i < count_; ++i) out->actions[i] = actions_[i];
}

const wp::HidAction* HidSettings::action_for(uint8_t class_id) const {
  for (size_t i = 0; i < count_; ++i) {
    if (actions_[i].class_id == class_id) return &actions_[i];
  }
  return nullptr;
}

}  // namespace hid
}  // namespace wandlab
