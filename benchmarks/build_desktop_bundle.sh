#!/usr/bin/env bash
# Build the Wandlab desktop bundle (PyInstaller, one folder: dist/wandlab/) and smoke-test it headless.
#
#   benchmarks/build_desktop_bundle.sh            # lite bundle (no TensorFlow): dist/wandlab/
#   benchmarks/build_desktop_bundle.sh --full     # with TensorFlow (training works in the bundle)
#   benchmarks/build_desktop_bundle.sh --json     # one JSON object on stdout instead of the table
#   benchmarks/build_desktop_bundle.sh --no-build # only check an existing dist/wandlab/
#
# Uses its own virtual environment (default /tmp/pack-venv, /tmp/pack-venv-full for --full; override
# with WANDLAB_PACK_VENV), created on first use from python3 (override with PYTHON; it must have a shared
# libpython, as Debian's and pyenv's default builds do). The checkout is copied (working tree, not git
# HEAD) and installed into that venv without its dependencies; the runtime dependencies come from
# pyproject.toml, TensorFlow only with --full. Nothing is installed into the project's .venv.
#
# Then packaging/pyinstaller/check_bundle.py starts the bundle with QT_QPA_PLATFORM=offscreen so that it
# opens its main window and closes it by itself, runs `wandlab --version`, finds the shipped models and
# checks training's TensorFlow (present, or the lite bundle's "what to install" error). It prints size
# (MB, files), build seconds and start-up seconds. Exit status 0 only if every check passed.
# Progress and PyInstaller's log go to stderr (and build/desktop-bundle-<variant>.log); stdout carries
# only the table or the JSON object.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)

variant=lite json=0 build=1
for arg in "$@"; do
  case "$arg" in
    --full) variant=full ;;
    --lite) variant=lite ;;
    --json) json=1 ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build_desktop_bundle.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done

default_venv=/tmp/pack-venv
[ "$variant" = full ] && default_venv=/tmp/pack-venv-full
VENV=${WANDLAB_PACK_VENV:-$default_venv}
PYTHON=${PYTHON:-python3}
DIST="$REPO/dist"
WORK="$REPO/build/pyinstaller-$variant"
LOG="$REPO/build/desktop-bundle-$variant.log"
SPEC="$REPO/packaging/pyinstaller/wandlab.spec"
mkdir -p "$REPO/build"
: >"$LOG"

say() { echo "[build_desktop_bundle] $*" >&2; }
run_logged() {  # run a command with its output in the log; show the log's tail if it fails
  if ! "$@" >>"$LOG" 2>&1; then
    say "failed: $*"; tail -40 "$LOG" >&2; exit 1
  fi
}
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

setup_s=0 build_s=""
if [ "$build" = 1 ]; then
  t0=$(now)
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating the build venv $VENV"
    run_logged "$PYTHON" -m venv "$VENV"
  fi
  if ! "$VENV/bin/python" -c 'import sys, sysconfig; sys.exit(not sysconfig.get_config_var("Py_ENABLE_SHARED"))'; then
    say "$VENV's Python has no shared libpython, which PyInstaller needs; use another (PYTHON=/usr/bin/python3)"
    exit 1
  fi
  # The app's runtime dependencies from pyproject.toml (TensorFlow only for --full), plus the tools.
  mapfile -t deps < <("$VENV/bin/python" - "$REPO/pyproject.toml" "$variant" <<'EOF'
import re, sys, tomllib
with open(sys.argv[1], "rb") as f:
    deps = tomllib.load(f)["project"]["dependencies"]
training = {"tensorflow", "tf-keras", "keras"}
for dep in deps:
    name = re.split(r"[\s<>=!~;\[]", dep, maxsplit=1)[0].lower().replace("_", "-")
    if sys.argv[2] == "full" or name not in training:
        print(dep)
print("pyinstaller>=6.10,<7")
print("setuptools>=68")
print("wheel")
EOF
  )
  stamp="$VENV/.wandlab-pack-deps"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(printf '%s\n' "${deps[@]}")" ]; then
    say "installing ${#deps[@]} packages into $VENV (first time: a few minutes)"
    run_logged "$VENV/bin/python" -m pip install -q --upgrade pip
    # --pre: tflite-micro only publishes dev releases.
    run_logged "$VENV/bin/python" -m pip install -q --pre "${deps[@]}"
    printf '%s\n' "${deps[@]}" >"$stamp"
  fi
  # Install the working tree as a wheel would (package data, wandlab.models), from a copy so that the
  # build leaves no build/ or *.egg-info in the checkout.
  src=$(mktemp -d /tmp/wandlab-pack-src.XXXXXX)
  "$VENV/bin/python" - "$REPO" "$src/wandlab" <<'EOF'
import shutil, sys
shutil.copytree(sys.argv[1], sys.argv[2], ignore=shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "__pycache__", "*.egg-info", ".*_cache", ".hypothesis", "out"))
EOF
  say "installing the checkout into $VENV"
  run_logged "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation --force-reinstall "$src/wandlab"
  rm -rf "$src"
  setup_s=$(seconds_since "$t0")

  say "building the $variant bundle with PyInstaller (log: $LOG)"
  t0=$(now)
  export WANDLAB_BUNDLE=$variant
  run_logged "$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" "$SPEC"
  build_s=$(seconds_since "$t0")
  say "built $DIST/wandlab in ${build_s} s"
fi

[ -d "$DIST/wandlab" ] || { say "no bundle at $DIST/wandlab (run without --no-build)"; exit 1; }
checker_python="$VENV/bin/python"
[ -x "$checker_python" ] || checker_python=$PYTHON
args=("$DIST/wandlab" --setup-s "$setup_s")
[ -n "$build_s" ] && args+=(--build-s "$build_s" --variant "$variant")
[ "$json" = 1 ] && args+=(--json)
say "smoke test: start-up (offscreen), --version, models, training dependency"
"$checker_python" "$REPO/packaging/pyinstaller/check_bundle.py" "${args[@]}"
