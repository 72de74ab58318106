"""One exception family for the whole app.

Each subclass also inherits the matching built-in so callers that only know Python's own hierarchy
(``except ConnectionError``) still catch it. Messages say what failed and, where it helps, what to do.
"""

from __future__ import annotations


class WandlabError(Exception):
    """Base of every error Wandlab raises on purpose."""


class ProtocolError(WandlabError, ValueError):
    """Bytes on the wire that do not form a valid packet or message."""


class LinkError(WandlabError, ConnectionError):
    """A transport (serial port, BLE, loopback) could not be opened or broke."""


class BoardError(WandlabError, RuntimeError):
    """The board answered with an error, or did not answer in time."""


class DatasetError(WandlabError, ValueError):
    """A project, sample or import/export problem."""


class ModelError(WandlabError, ValueError):
    """A model that cannot be trained, converted, verified or does not fit the board."""
