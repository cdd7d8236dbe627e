"""Fixtures for pipeline tests: small hand-written bronze drops in a local lake."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sre.storage import LocalStore

PARTICIPANTS_HEADER = "participant_id,start_date,starting_weight,weight_unit,trial,status"
WEIGHT_HEADER = (
    "participant_id,measure_date,study_day,weight_value,weight_unit,energy_1_10,mood_1_10,"
    "broke_diet,note"
)
NUTRITION_HEADER = (
    "participant_id,entry_date,meal,food_item,quantity_g,calories_kcal,protein_g,carbs_g,fat_g,"
    "fiber_g,soluble_fiber_g,insoluble_fiber_g,sugar_g"
)
ROSTER = [
    "P0001,2026-10-01,210.4,lb,full,completed",
    "P0002,2026-10-01,80.0,kg,half,completed",
]


def weight_rows(day: int, count: int = 10) -> list[str]:
    """Clean weight rows for two participants on consecutive days starting at `day`."""
    rows = []
    for offset in range(count):
        d = day + offset
        rows.append(f"P0001,2026-10-{d:02d},{d - 1},{210.4 - d * 0.3:.1f},lb,7,8,false,ok")
        rows.append(f"P0002,2026-10-{d:02d},{d - 1},{80.0 - d * 0.1:.1f},kg,6,7,no,")
    return rows


def nutrition_rows(day: int, count: int = 10) -> list[str]:
    rows = []
    for offset in range(count):
        d = day + offset
        rows.append(f"P0001,2026-10-{d:02d},lunch,baked potato,300,231,6,51,0.3,6.6,2.0,4.6,2.4")
        rows.append(f"P0002,2026-10-{d:02d},dinner,black beans,150,200,13,36,0.8,13,3,10,0.5")
    return rows


DropWriter = Callable[..., Path]


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    root = tmp_path / "lake"
    root.mkdir()
    return root


@pytest.fixture
def store(lake: Path) -> LocalStore:
    return LocalStore(lake)


def write_drop(
    lake: Path,
    ingest_date: str,
    *,
    participants: list[str] | None = None,
    weight_log: list[str] | None = None,
    nutrition: list[str] | None = None,
    raw: dict[str, bytes] | None = None,
) -> Path:
    """Write one bronze partition; `raw` overrides a file with exact bytes."""
    folder = lake / "bronze" / f"ingest_date={ingest_date}"
    folder.mkdir(parents=True, exist_ok=True)
    texts = {
        "participants": [
            PARTICIPANTS_HEADER,
            *(participants if participants is not None else ROSTER),
        ],
        "weight_log": [WEIGHT_HEADER, *(weight_log if weight_log is not None else weight_rows(1))],
        "nutrition": [
            NUTRITION_HEADER,
            *(nutrition if nutrition is not None else nutrition_rows(1)),
        ],
    }
    for kind, lines in texts.items():
        data = (raw or {}).get(kind, ("\n".join(lines) + "\n").encode())
        (folder / f"{kind}.csv").write_bytes(data)
    return folder


@pytest.fixture
def drop(lake: Path) -> DropWriter:
    def make(ingest_date: str = "2026-10-11", **kwargs: object) -> Path:
        return write_drop(lake, ingest_date, **kwargs)  # type: ignore[arg-type]

    return make


def crash_between_commits(monkeypatch: pytest.MonkeyPatch, after: int) -> None:
    """The next run dies (OSError, as a killed process) after `after` table commits."""
    from pipeline import silver

    real, calls = silver.commit, []

    def dying(store_: object, table: str, *args: object, **kwargs: object) -> object:
        if len(calls) == after:
            monkeypatch.setattr(silver, "commit", real)  # the rerun commits normally
            raise OSError("process killed between two table commits")
        calls.append(table)
        return real(store_, table, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(silver, "commit", dying)
