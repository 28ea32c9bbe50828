# SPDX-License-Identifier: GPL-2.0-or-later
"""Optional packages, looked up without importing them (scikit-learn alone takes ~0.5 s)."""

from __future__ import annotations

import importlib.util


def sklearn_available() -> bool:
    """True when scikit-learn can be imported (the random forest is offered)."""
    try:
        return importlib.util.find_spec("sklearn") is not None
    except (ImportError, ValueError):
        return False
