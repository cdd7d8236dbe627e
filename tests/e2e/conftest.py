"""The real stack for the end-to-end tests: one lake and one stack per module and kind of lake
(a local folder, and a bucket on the session's SeaweedFS), stopped by PID."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts.drill_lake import Places, local_places, prepare, s3_places
from scripts.seaweedfs import S3Server
from sre.stack import PACKAGES, Running, running
from tests.support.components import require

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class Live:
    stack: Running
    places: Places


@pytest.fixture(scope="module", params=["local", "seaweedfs"])
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    missing = sorted({PACKAGES[p] for p in PACKAGES if shutil.which(p) is None})
    require(
        "Prometheus, Alertmanager and Pushgateway",
        not missing,
        f"missing Debian packages {' '.join(missing)} (make setup installs them)",
    )
    root = tmp_path_factory.mktemp("incident-loop")
    if request.param == "local":
        places = local_places(root / "lake", root / "run")
    else:
        server: S3Server = request.getfixturevalue("seaweedfs")
        bucket = f"e2e-{uuid.uuid4().hex[:12]}"
        server.create_bucket(bucket)
        places = s3_places(bucket, root / "run", server.env())
    prepare(places)
    artefacts = root / "artefacts"
    sre = str(Path(sys.executable).parent / "sre")
    subprocess.run(
        [sre, "generate", "--env", "demo", "--out", str(artefacts)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    spec = places.stack(artefacts)
    with running(spec) as stack:
        yield Live(stack, places)
