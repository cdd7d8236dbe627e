"""Seed the compose lake: write dirty sample bronze drops and upload them to $POTATO_LAKE.

Run by `docker compose --profile seed run --rm seed-lake`; the pipeline picks the drops up on
its next scheduled run. Uses the project's own object store, so S3 settings come from the same
AWS_* variables as the pipeline.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sre.storage import open_store


def main() -> int:
    lake_url = os.environ["POTATO_LAKE"]
    store = open_store(lake_url, env=dict(os.environ))
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / "lake"
        subprocess.run(["potato-pipeline", "sample-data", "--out", str(local)], check=True)
        files = sorted(p for p in (local / "bronze").rglob("*") if p.is_file())
        for path in files:
            store.upload(path, path.relative_to(local).as_posix())
    print(f"uploaded {len(files)} bronze files to {lake_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
