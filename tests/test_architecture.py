"""Dependencies point down: layers (import-linter), the core never imports Qt, nothing heavy loads at start-up."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "app" / "wandlab"
CORE = ["errors.py", "protocol", "link", "onboard", "synth", "board", "dataset", "virtual", "ml", "flows", "commands"]
QT_MODULES = ("PySide6", "pyqtgraph", "qasync", "shiboken6")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_packages_do_not_import_qt_anywhere_in_their_source():
    offenders = []
    for package in CORE:
        root = PACKAGE / package
        for path in [root] if root.is_file() else root.rglob("*.py"):
            bad = [m for m in imported_modules(path) if m.split(".")[0] in QT_MODULES or m.startswith("wandlab.ui")]
            if bad:
                offenders.append(f"{path.relative_to(PACKAGE)}: {', '.join(sorted(bad))}")
    assert not offenders, "core modules importing Qt/UI:\n" + "\n".join(offenders)


def test_importing_the_core_loads_neither_qt_nor_tensorflow():
    code = (
        "import sys, importlib, pkgutil, wandlab\n"
        "import wandlab.protocol, wandlab.link, wandlab.board, wandlab.board.client, wandlab.cli\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6','pyqtgraph','qasync','tensorflow')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_cli_help_does_not_import_tensorflow():
    code = (
        "import sys, contextlib, io\n"
        "from wandlab.cli import build_parser\n"
        "build_parser()\n"
        "print('tensorflow' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_gui_options_work_without_the_gui_command(monkeypatch):
    from wandlab import cli

    seen = {}
    # build_parser() binds the gui command to whatever _run_gui is when main() runs.
    monkeypatch.setattr(cli, "_run_gui", lambda args: seen.update(port=args.port) or 0)
    assert cli.main(["--port", "virtual:"]) == 0 and seen["port"] == "virtual:"
    assert cli.main([]) == 0 and seen["port"] is None


def test_layers_contract_holds_and_no_module_imports_upward():
    # The contracts are in pyproject.toml ([tool.importlinter]): ui | commands > flows > ml | virtual >
    # dataset | board > link > onboard | protocol | synth > errors, and Qt only in ui.
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=PACKAGE.parents[1], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_onboard_is_the_python_twin_of_the_firmware_and_needs_only_numpy():
    allowed = {"numpy", "wandlab"}
    offenders = []
    for path in (PACKAGE / "onboard").rglob("*.py"):
        third_party = {m.split(".")[0] for m in imported_modules(path)} - set(sys.stdlib_module_names)
        if third_party - allowed:
            offenders.append(f"{path.name}: {', '.join(sorted(third_party - allowed))}")
    assert not offenders, "onboard modules importing more than numpy:\n" + "\n".join(offenders)
