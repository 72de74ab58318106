// TFLM's only output channel on the PC: its log lines (MicroPrintf) go to stderr.
//
// On a board the sketch defines DebugLog (a serial port, or nothing); here it is an archive member of
// its own, so a host program that defines DebugLog itself replaces this one.
#include <cstdio>

extern "C" void DebugLog(const char* s) { std::fputs(s, stderr); }
