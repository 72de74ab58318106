# The TensorFlow Lite Micro sources of the vendored Arduino_TensorFlowLite that Wandlab builds, for the
# PC (tflm_host/Makefile) and the XIAO (wandlab_xiao_sense/Makefile): the same list, so the PC's
# bit-exactness tests hold for the board. Include it with TFLM set to the library's src/ folder, and
# TFLM_ALSO_EXCLUDED to what a platform gives TFLM itself; TFLM_REL_SOURCES are relative to $(TFLM).
# Left out: the test helpers, the fake/mock graph, system_setup.cpp, the kernel runner, and the Nano 33's
# peripherals (not in the folders below); only the CMSIS-NN kernel variants the library ships.
TFLM_EXCLUDED := tensorflow/lite/micro/test_helpers.cpp tensorflow/lite/micro/test_helper_custom_ops.cpp \
                 tensorflow/lite/micro/fake_micro_context.cpp tensorflow/lite/micro/mock_micro_graph.cpp \
                 tensorflow/lite/micro/system_setup.cpp tensorflow/lite/micro/kernels/kernel_runner.cpp
TFLM_REL_SOURCES = $(sort $(filter-out $(TFLM_EXCLUDED) $(TFLM_ALSO_EXCLUDED),$(patsubst $(TFLM)/%,%, \
    $(wildcard $(TFLM)/tensorflow/lite/micro/*.cpp $(TFLM)/tensorflow/lite/micro/*/*.cpp \
               $(TFLM)/tensorflow/lite/micro/kernels/cmsis_nn/*.cpp \
               $(TFLM)/tensorflow/lite/core/api/*.cpp $(TFLM)/tensorflow/lite/core/c/*.cpp \
               $(TFLM)/tensorflow/lite/kernels/*.cpp $(TFLM)/tensorflow/lite/kernels/internal/*.cpp \
               $(TFLM)/tensorflow/lite/kernels/internal/reference/*.cpp \
               $(TFLM)/tensorflow/lite/schema/*.cpp \
               $(TFLM)/third_party/cmsis_nn/Source/*/*.c))))
