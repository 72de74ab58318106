"""Controller family: what the board does with a recognition (HID map), and inference events.

The HID map says, per class, which keyboard key (with modifiers), consumer key (play, volume, next)
or mouse action the board sends over BLE HID. Inference events let the host watch the board think.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag

from wandlab.protocol.codec import Constant, CppMax, Struct, wire
from wandlab.protocol.registry import Message, register

NO_CLASS = Constant(255, "u8")  # InferenceEvent.class_id: none of the classes (open set)


class ActionKind(IntEnum):
    NONE = 0
    KEY = 1  # code: USB HID keyboard usage id (0x04 = a, 0x4F = right arrow, ...)
    CONSUMER = 2  # code: USB HID consumer usage id (0xCD = play/pause, 0xE9 = volume up, ...)
    MOUSE_CLICK = 3  # code: button mask (1 left, 2 right, 4 middle)
    MOUSE_MOVE = 4  # dx, dy in counts


class Modifier(IntFlag):
    CTRL = 0x01
    SHIFT = 0x02
    ALT = 0x04
    GUI = 0x08


# One list length for HidMapSet and HidMap: a sketch copies one into the other.
_HID_ACTIONS = CppMax("kMaxHidActions", 32)


@dataclass(frozen=True)
class HidAction(Struct):
    class_id: int = wire("u8")
    kind: int = wire("u8", enum=ActionKind)
    code: int = wire("u16")
    modifiers: int = wire("u8", enum=Modifier)
    dx: int = wire("i16", default=0)
    dy: int = wire("i16", default=0)


@register
@dataclass(frozen=True)
class HidMapSet(Message):
    """Host -> board: replace the whole map; the board persists it."""

    TYPE = 0x40
    FAMILY = "controller"
    actions: tuple[HidAction, ...] = wire("list:HidAction", cpp_max=_HID_ACTIONS)


@register
@dataclass(frozen=True)
class HidMapGet(Message):
    """Host -> board: the board answers HidMap. No fields."""

    TYPE = 0x41
    FAMILY = "controller"


@register
@dataclass(frozen=True)
class HidMap(Message):
    TYPE = 0x42
    FAMILY = "controller"
    enabled: int = wire("u8")  # BLE HID output on
    actions: tuple[HidAction, ...] = wire("list:HidAction", cpp_max=_HID_ACTIONS)


@register
@dataclass(frozen=True)
class HidEnable(Message):
    """Host -> board: BLE HID output on (1) or off (0)."""

    TYPE = 0x43
    FAMILY = "controller"
    enabled: int = wire("u8")


@register
@dataclass(frozen=True)
class RecognizeStart(Message):
    """Host -> board: run the active model on the live sensors and report every decision as an
    InferenceEvent."""

    TYPE = 0x44
    FAMILY = "controller"
    events: int = wire("u8", default=1)  # 0: recognise (and press keys) silently


@register
@dataclass(frozen=True)
class RecognizeStop(Message):
    """Host -> board: stop recognising. No fields."""

    TYPE = 0x45
    FAMILY = "controller"


@register
@dataclass(frozen=True)
class InferenceEvent(Message):
    """Board -> host: one decision. class_id NO_CLASS means "none of these" (open set); label is the
    nearest class's."""

    TYPE = 0x46
    FAMILY = "controller"
    sample_index: int = wire("u32")  # IMU sample index at the end of the window
    class_id: int = wire("u8", cpp_default=NO_CLASS)
    label: str = wire("str")
    distance: float = wire("f32")  # to the nearest reference of the winning (or nearest) class
    margin: float = wire("f32")  # threshold - distance: < 0 rejected (>= 0 can still be the bank's veto)
    latency_us: int = wire("u32")  # features + inference + k-NN on the board


@register
@dataclass(frozen=True)
class HidReport(Message):
    """Board -> host: the HID report the board just sent (or would send with HID off)."""

    TYPE = 0x47
    FAMILY = "controller"
    class_id: int = wire("u8")
    kind: int = wire("u8", enum=ActionKind)
    code: int = wire("u16")
    modifiers: int = wire("u8", enum=Modifier)
    sent: int = wire("u8")  # 1: sent over BLE HID; 0: HID is off or no host bonded


@register
@dataclass(frozen=True)
class ForgetHosts(Message):
    """Host -> board: delete every BLE bond (the paired computers and apps) and drop the links they
    protected; the board answers Ack first. No fields. Over BLE it needs a bonded link like every
    protected packet; over USB it is how a wand paired with a lost computer is freed."""

    TYPE = 0x48
    FAMILY = "controller"
