#include "hid_reports.h"

namespace wandlab {
namespace hid {
namespace {

uint8_t clamp8(int32_t v) {
  const int32_t c = v < -127 ? -127 : v > 127 ? 127 : v;
  return static_cast<uint8_t>(c & 0xFF);
}

InputReport report(uint8_t id, uint8_t size) {
  InputReport r;
  r.report_id = id;
  r.size = size;
  return r;
}

}  // namespace

size_t reports_for(const protocol::HidAction& action, InputReport* out) {
  using protocol::ActionKind;
  switch (static_cast<ActionKind>(action.kind)) {
    case ActionKind::kKey:
      out[0] = report(kKeyboardReportId, 8);
      out[0].value[0] = action.modifiers;
      out[0].value[2] = static_cast<uint8_t>(action.code & 0xFF);
      out[1] = report(kKeyboardReportId, 8);
      return 2;
    case ActionKind::kConsumer:
      out[0] = report(kConsumerReportId, 2);
      out[0].value[0] = static_cast<uint8_t>(action.code & 0xFF);
      out[0].value[1] = static_cast<uint8_t>(action.code >> 8);
      out[1] = report(kConsumerReportId, 2);
      return 2;
    case ActionKind::kMouseClick:
      out[0] = report(kMouseReportId, 4);
      out[0].value[0] = static_cast<uint8_t>(action.code & 0x07);
      out[1] = report(kMouseReportId, 4);
      return 2;
    case ActionKind::kMouseMove:
      out[0] = report(kMouseReportId, 4);
      out[0].value[1] = clamp8(action.dx);
      out[0].value[2] = clamp8(action.dy);
      return 1;
    default:
      return 0;
  }
}

}  // namespace hid
}  // namespace wandlab
