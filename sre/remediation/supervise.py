"""The supervisor of a `command` child: `python -m sre.remediation.supervise DIR -- ARGV`.

It starts ARGV (no shell) with its output in `DIR/stdout` and `DIR/stderr`, waits for it and
writes `DIR/status.json` (`{"exit": N, "finished": T}`, atomically) before exiting with the same
status. Files, not pipes: when `sre serve` is killed the child keeps running (a write to a pipe
with no reader would kill it with SIGPIPE), and the restarted server reads what happened from
the folder (`Command.resume`). It runs in the child's process group, so a timeout's SIGTERM and
SIGKILL reach both.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

STATUS = "status.json"


def main(args: list[str]) -> int:
    if len(args) < 3 or args[1] != "--":
        print("usage: supervise DIR -- ARGV...", file=sys.stderr)
        return 2
    folder, argv = Path(args[0]), args[2:]
    with (folder / "stdout").open("wb") as out, (folder / "stderr").open("wb") as err:
        try:
            code = subprocess.call(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        except OSError as exc:
            err.write(f"cannot start {argv[0]}: {exc.strerror or exc}\n".encode())
            code = 127
    partial = folder / f".{STATUS}.tmp"
    partial.write_text(json.dumps({"exit": code, "finished": time.time()}))
    partial.replace(folder / STATUS)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
