"""Remediation actions, one per module: `plan()` is pure, `apply()`/`verify()`/`undo()` act
through the stores passed in."""
