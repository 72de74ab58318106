"""Where the virtual wand keeps its BLE bonds: ``<state>/ble_bonds.json`` beside its model slots, as a
real board keeps them in flash beside its models. Model pushes never touch this file; only forgetting
the hosts on purpose (``ForgetHosts``, ``wandlab board forget-hosts``) empties it."""

from __future__ import annotations

import contextlib
from pathlib import Path

from bumble.keys import JsonKeyStore, KeyStore, MemoryKeyStore

BOND_FILE = "ble_bonds.json"
NAMESPACE = "wand"  # one JSON namespace: the wand has one identity, whatever its address


def bond_path(state_dir: str | Path) -> Path:
    return Path(state_dir) / BOND_FILE


def keystore_for(state_dir: str | Path | None) -> KeyStore:
    """The wand's bond store: the file in its state folder, or memory for a wand without one."""
    if state_dir is None:
        return MemoryKeyStore()
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    return JsonKeyStore(NAMESPACE, str(bond_path(state_dir)))


def forget_bonds(state_dir: str | Path | None) -> None:
    """Delete every stored bond (the file is the store: an open server re-reads it on each look-up)."""
    if state_dir is not None:
        with contextlib.suppress(FileNotFoundError):
            bond_path(state_dir).unlink()
