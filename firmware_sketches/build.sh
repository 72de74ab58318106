#!/usr/bin/env bash
# Build a Wandlab firmware image offline.
#
#   firmware_sketches/build.sh xiao [--json] [--clean] [--ship]
#                                       XIAO nRF52840 Sense: .hex, .uf2, size table; --ship also copies the
#                                       .uf2 to app/wandlab/firmware/xiao_sense.uf2 (the app's package data)
#   firmware_sketches/build.sh native [--clean]           the native board (Linux program, g++)
#
# xiao builds with Debian's gcc-arm-none-eabi against the vendored Arduino core in ../shared/vendor
# (override with WANDLAB_VENDOR=DIR) into wandlab_xiao_sense/build (override with WANDLAB_BUILD_DIR=DIR),
# then prints flash and static RAM against the budgets (flash <= 50 % of the application area, static
# RAM <= 64 KB) and exits 1 if either is exceeded. With --json, stdout is one JSON object
# (flash_bytes, ram_bytes, uf2, components, ...) and the build's own output goes to stderr.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
TARGET=${1:-}
shift || true
JSON=0
CLEAN=0
SHIP=0
for arg in "$@"; do
  case "$arg" in
    --json) JSON=1 ;;
    --clean) CLEAN=1 ;;
    --ship) SHIP=1 ;;
    *) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done
JOBS=$(nproc 2>/dev/null || echo 2)

need() {
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "build.sh: $tool is missing (Debian: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi" \
           "libstdc++-arm-none-eabi-newlib binutils-arm-none-eabi make python3)" >&2
      exit 3
    fi
  done
}

case "$TARGET" in
  xiao)
    need make python3 arm-none-eabi-g++ arm-none-eabi-objcopy
    VENDOR=$(cd "${WANDLAB_VENDOR:-$ROOT/../shared/vendor}" 2>/dev/null && pwd) || VENDOR=""
    PLATFORM="$VENDOR/hardware/Seeeduino/nrf52"
    if [ -z "$VENDOR" ] || [ ! -f "$PLATFORM/boards.txt" ]; then
      echo "build.sh: no vendored board support at ${WANDLAB_VENDOR:-$ROOT/../shared/vendor} (set WANDLAB_VENDOR)" >&2
      exit 3
    fi
    SKETCH="$HERE/wandlab_xiao_sense"
    BUILD=${WANDLAB_BUILD_DIR:-$SKETCH/build}
    mkdir -p "$BUILD"
    BUILD=$(cd "$BUILD" && pwd)
    FLASH_AREA=$(sed -n 's/^xiaonRF52840Sense\.upload\.maximum_size=//p' "$PLATFORM/boards.txt")
    if [ "$CLEAN" = 1 ]; then make -C "$SKETCH" BUILD="$BUILD" clean >&2; fi
    if [ "$JSON" = 1 ]; then
      make -C "$SKETCH" VENDOR="$VENDOR" BUILD="$BUILD" -j"$JOBS" >&2
    else
      make -C "$SKETCH" VENDOR="$VENDOR" BUILD="$BUILD" -j"$JOBS"
      echo
    fi
    if [ "$SHIP" = 1 ]; then
      mkdir -p "$ROOT/app/wandlab/firmware"
      cp "$BUILD/wandlab_xiao_sense.uf2" "$ROOT/app/wandlab/firmware/xiao_sense.uf2"
      echo "shipped: app/wandlab/firmware/xiao_sense.uf2" >&2
    fi
    ARGS=("$BUILD/wandlab_xiao_sense.elf" "$BUILD/wandlab_xiao_sense.map" --flash-area "$FLASH_AREA"
          --uf2 "$BUILD/wandlab_xiao_sense.uf2")
    if [ "$JSON" = 1 ]; then ARGS+=(--json); else echo "XIAO nRF52840 Sense: $BUILD/wandlab_xiao_sense.{hex,uf2}"; fi
    exec python3 "$HERE/size_report.py" "${ARGS[@]}"
    ;;
  native)
    need make g++
    if [ "$CLEAN" = 1 ]; then make -C "$HERE/native_board" clean; fi
    make -C "$HERE/native_board" -j"$JOBS"
    echo "native board: $HERE/native_board/build/wandlab_native_board"
    ;;
  *)
    echo "usage: build.sh xiao [--json] [--clean] [--ship] | build.sh native [--clean]" >&2
    exit 2
    ;;
esac
