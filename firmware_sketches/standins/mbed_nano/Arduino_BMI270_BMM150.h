// Stand-in for Arduino_BMI270_BMM150 (arduino-libraries/Arduino_BMI270_BMM150 1.2.3, the copy in
// ../shared/vendor/libraries is commit 48e639b), as the wandlab_nano33_ble_sense layer uses it.
// Declarations as in the library, bodies trivial.
//
// Followed: src/Arduino_BMI270_BMM150.h and src/BoschSensorClass.h (CfgBoshSensor_t, BoschSensorClass,
// `#define IMU IMU_BMI270_BMM150`), and src/BMI270.cpp for what the values mean: begin() returns 1 on
// success; configure_sensor() sets both sensors to 100 Hz (BMI2_*_ODR_100HZ), +-4 g and +-2000 dps;
// accelerationSampleRate() reports (1 << odr) * 0.39 = 99.84 Hz for that ODR; readAcceleration() gives g
// (raw / 8192), readGyroscope() deg/s (raw / 16.384), on the Nano 33 BLE with x = -raw y, y = -raw x;
// accelerationAvailable() polls the data-ready bit (one-shot mode: no FIFO).
#pragma once

#include <Arduino.h>

typedef enum { BOSCH_ACCELEROMETER_ONLY, BOSCH_MAGNETOMETER_ONLY, BOSCH_ACCEL_AND_MAGN } CfgBoshSensor_t;

class BoschSensorClass {
 public:
  BoschSensorClass() = default;
  ~BoschSensorClass() {}

  void setContinuousMode() {}
  void oneShotMode() {}

  int begin(CfgBoshSensor_t cfg = BOSCH_ACCEL_AND_MAGN) { return cfg != BOSCH_MAGNETOMETER_ONLY; }
  void end() {}

  virtual int readAcceleration(float& x, float& y, float& z) {
    x = y = z = 0.0f;
    return 1;
  }
  virtual int accelerationAvailable() { return 0; }
  virtual float accelerationSampleRate() { return 99.84f; }

  virtual int readGyroscope(float& x, float& y, float& z) {
    x = y = z = 0.0f;
    return 1;
  }
  virtual int gyroscopeAvailable() { return 0; }
  virtual float gyroscopeSampleRate() { return 99.84f; }

  virtual int readMagneticField(float& x, float& y, float& z) {
    x = y = z = 0.0f;
    return 1;
  }
  virtual int magneticFieldAvailable() { return 0; }
  virtual float magneticFieldSampleRate() { return 10.0f; }
};

inline BoschSensorClass IMU_BMI270_BMM150;
#undef IMU
#define IMU IMU_BMI270_BMM150
