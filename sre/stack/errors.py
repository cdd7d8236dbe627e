"""Errors of the local stack.

Hierarchy::

    SreError                      (sre.errors)
    └── StackError                a component is missing, did not start or did not get ready
                                  (field: component)
"""

from __future__ import annotations

from sre.errors import SreError

__all__ = ["StackError"]


class StackError(SreError):
    """The stack cannot be started, inspected or stopped as asked."""

    def __init__(self, message: str, *, component: str = "") -> None:
        super().__init__(message)
        self.component = component
