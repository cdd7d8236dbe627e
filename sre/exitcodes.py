"""Exit codes of every command line in this distribution (`sre` and `potato-pipeline`).

One place, so a script that checks `$?` means the same thing whichever tool it ran.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode"]


class ExitCode(IntEnum):
    OK = 0  # done (including "nothing to do")
    FAILED = 1  # the run, check or action failed, or was refused; nothing half-done is hidden
    USAGE = 2  # a wrong option, argument or spec: fix the command line or the spec
    UNAVAILABLE = 3  # a dependency cannot be used: state store, lake, port, endpoint
