"""``wandlab board forget-hosts`` and the BLE benchmarks, as a user runs them."""

from __future__ import annotations

import json

from tests.link.ble_helpers import run
from wandlab.board.client import BoardClient
from wandlab.cli import main
from wandlab.flows.connect import open_link
from wandlab.protocol import SimPerform
from wandlab.virtual.bonds import bond_path


def _bond_over_ble(state) -> None:
    async def bond():
        async with BoardClient(open_link(f"virtual:?link=ble&state={state}"), reconnect=False) as client:
            await client.request(SimPerform("tap"))  # a protected packet: the app bonds

    run(bond())


def test_forget_hosts_over_usb_frees_a_wand_bonded_to_a_computer_that_is_gone(tmp_path, capsys):
    _bond_over_ble(tmp_path)
    assert bond_path(tmp_path).exists()
    assert main(["board", "forget-hosts", "--port", f"virtual:?state={tmp_path}"]) == 0  # the pty: "USB"
    assert not bond_path(tmp_path).exists()
    assert "forgot every paired computer" in capsys.readouterr().out


def test_forget_hosts_over_ble_needs_the_bond_it_then_drops(tmp_path):
    _bond_over_ble(tmp_path)
    assert main(["board", "forget-hosts", "--port", f"virtual:?link=ble&state={tmp_path}"]) == 0
    assert not bond_path(tmp_path).exists()


def test_bench_streaming_over_ble_loses_nothing(capsys):
    assert main(["bench", "streaming", "--link", "ble", "--seconds", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["link"] == "ble" and result["blocks_lost"] == 0 and result["board_dropped"] == 0
    assert result["audio_hz"] > 15000 and result["imu_hz"] > 380 and result["imu_axes"] == 6
    assert result["decode_errors"] == 0 and result["att_mtu"] == 247


def test_bench_transfer_over_ble_is_fast_enough_and_resumes_without_losing_the_old_model(capsys):
    assert main(["bench", "transfer", "--link", "ble", "--kbytes", "64", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["link"] == "ble" and result["kbytes_per_s"] >= 20
    assert result["interrupted_at_bytes"] > 0 and result["resumed_from_bytes"] >= result["interrupted_at_bytes"]
    assert result["old_model_active_until_verified"] is True


def test_bench_hid_types_every_gesture_and_keeps_the_bond_across_a_power_cycle(capsys):
    assert main(["bench", "hid", "--takes", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["performed"], result["received"], result["wrong"]) == (2, 2, 0)
    assert 0 < result["latency_ms"]["p50"] <= result["latency_ms"]["p95"] < 2000
    assert result["reconnect_without_repair"] is True and result["unbonded_write_rejected"] is True
