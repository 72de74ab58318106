"""Typed async access to a board over any link."""

from wandlab.board.blocks import SampleBlock, StreamCounters
from wandlab.board.client import BoardClient, ConnectionState

__all__ = ["BoardClient", "ConnectionState", "SampleBlock", "StreamCounters"]
