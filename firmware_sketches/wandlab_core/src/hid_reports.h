// The input reports one action sends over HID over GATT: the C++ twin of app/wandlab/protocol/gatt.py
// reports_for (a key or consumer key or click is a press then a release; a mouse move is one report),
// for the report map in docs/protocol.md (keyboard id 1, 8 bytes; consumer id 2, 2 bytes; mouse id 3,
// 4 bytes). tests/test_hid_reports.cpp checks every kind against the bytes Python gives.
#pragma once

#include <cstddef>
#include <cstdint>

#include "messages.h"

namespace wandlab {
namespace hid {

constexpr uint8_t kKeyboardReportId = 1;
constexpr uint8_t kConsumerReportId = 2;
constexpr uint8_t kMouseReportId = 3;
constexpr size_t kMaxReportBytes = 8;
constexpr size_t kMaxReportsPerAction = 2;

struct InputReport {
  uint8_t report_id = 0;
  uint8_t size = 0;
  uint8_t value[kMaxReportBytes] = {};
};

// The reports for `action` into out (kMaxReportsPerAction of them); returns how many (0 for NONE or an
// unknown kind).
size_t reports_for(const protocol::HidAction& action, InputReport* out);

}  // namespace hid
}  // namespace wandlab
