// What TFLM asks of the platform, for the XIAO: its clock (micro_time.h; only profiling reads it) and
// its log (debug_log.h). The log goes nowhere: USB serial carries the protocol, and the model runner
// turns every refusal into its own sentence for the host.
#include <Arduino.h>

#include <cstdint>

extern "C" void DebugLog(const char* s) { (void)s; }

namespace tflite {
uint32_t ticks_per_second() { return 1000000; }
uint32_t GetCurrentTimeTicks() { return micros(); }
}  // namespace tflite
