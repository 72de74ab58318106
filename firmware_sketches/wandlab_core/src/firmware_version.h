// The firmware's own version, shown in Info.firmware_version after the board's prefix ("native-",
// "xiao-"). Independent of the app's version: bump it when the board's behaviour changes.
#pragma once

namespace wandlab {

constexpr const char* kFirmwareVersion = "0.1.0";

}  // namespace wandlab
