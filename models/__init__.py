"""Shipped base models, installed as the package ``wandlab.models`` (see ``wandlab.ml.shipped``).

This folder is the source of truth for the models, their recipes and model cards; pyproject.toml maps it
into the package so that a wheel carries the models and ``importlib.resources`` finds them anywhere.
"""
