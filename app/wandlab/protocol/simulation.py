"""Simulation family: scripts the virtual wand. A real board answers Error UNSUPPORTED, but still decodes
these messages, so that it tells malformed ones apart."""

from __future__ import annotations

from dataclasses import dataclass

from wandlab.protocol.codec import wire
from wandlab.protocol.registry import Message, register


@register
@dataclass(frozen=True)
class SimPerform(Message):
    """Perform a gesture from the virtual wand's library now (e.g. "circle", "flick_left")."""

    TYPE = 0x70
    FAMILY = "simulation"
    gesture: str = wire("str")


@register
@dataclass(frozen=True)
class SimSay(Message):
    """Speak a word or phrase into the virtual microphone."""

    TYPE = 0x71
    FAMILY = "simulation"
    text: str = wire("str")


@register
@dataclass(frozen=True)
class SimPerson(Message):
    """Switch to another simulated person (their motion style, voice and sensor quirks)."""

    TYPE = 0x72
    FAMILY = "simulation"
    person: int = wire("u16")


@register
@dataclass(frozen=True)
class SimUnplug(Message):
    """Pull the virtual cable for ``millis`` ms, then plug it back in (same port name)."""

    TYPE = 0x73
    FAMILY = "simulation"
    millis: int = wire("u32")


@register
@dataclass(frozen=True)
class SimButton(Message):
    """Press and release the board's button."""

    TYPE = 0x74
    FAMILY = "simulation"
    button: int = wire("u8", default=0)
