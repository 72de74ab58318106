"""Wandlab: record gestures and words from a sensor board, train a tiny model, flash it back."""

__version__ = "0.1.0"
