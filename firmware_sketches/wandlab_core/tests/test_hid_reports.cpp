// hid::reports_for. Without arguments: a few hand-checked actions. With a file of actions ("kind code
// modifiers dx dy" per line): prints each action's reports as "id:hex id:hex", one line per action, for
// tests/firmware/test_hid_reports_twin.py to compare with Python's gatt.reports_for.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "hid_reports.h"

namespace wh = wandlab::hid;
namespace wp = wandlab::protocol;

namespace {

std::string describe(const wp::HidAction& action) {
  wh::InputReport reports[wh::kMaxReportsPerAction];
  const size_t n = wh::reports_for(action, reports);
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    char part[8];
    std::snprintf(part, sizeof(part), "%s%u:", i > 0 ? " " : "", static_cast<unsigned>(reports[i].report_id));
    out += part;
    for (size_t b = 0; b < reports[i].size; ++b) {
      std::snprintf(part, sizeof(part), "%02x", static_cast<unsigned>(reports[i].value[b]));
      out += part;
    }
  }
  return out;
}

wp::HidAction action(uint8_t kind, uint16_t code, uint8_t modifiers, int16_t dx, int16_t dy) {
  wp::HidAction a;
  a.kind = kind;
  a.code = code;
  a.modifiers = modifiers;
  a.dx = dx;
  a.dy = dy;
  return a;
}

int failures = 0;

void expect(const wp::HidAction& a, const char* wanted) {
  const std::string got = describe(a);
  if (got != wanted) {
    std::printf("FAIL kind %u: got '%s', wanted '%s'\n", static_cast<unsigned>(a.kind), got.c_str(), wanted);
    ++failures;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    std::ifstream in(argv[1]);
    if (!in) {
      std::printf("cannot read %s\n", argv[1]);
      return 2;
    }
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      unsigned kind, code, modifiers;
      int dx, dy;
      if (!(fields >> kind >> code >> modifiers >> dx >> dy)) continue;
      std::printf("%s\n", describe(action(static_cast<uint8_t>(kind), static_cast<uint16_t>(code),
                                          static_cast<uint8_t>(modifiers), static_cast<int16_t>(dx),
                                          static_cast<int16_t>(dy)))
                              .c_str());
    }
    return 0;
  }
  expect(action(1, 0x04, 0x01, 0, 0), "1:0100040000000000 1:0000000000000000");  // Ctrl+A
  expect(action(2, 0xCD, 0, 0, 0), "2:cd00 2:0000");                                // Play/Pause
  expect(action(3, 2, 0, 0, 0), "3:02000000 3:00000000");                           // right click
  expect(action(4, 0, 0, 300, -5), "3:007ffb00");                                   // a move, clamped
  expect(action(0, 0, 0, 0, 0), "");                                                // nothing
  std::printf("%s: hid reports\n", failures == 0 ? "ok" : "FAILED");
  return failures == 0 ? 0 : 1;
}
