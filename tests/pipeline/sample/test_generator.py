"""The sample generator writes seeded, deterministic bronze drops, dirty exactly as it reports."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import pipeline.sample
from pipeline import lake
from pipeline.contracts import bronze
from pipeline.sample import DIRT_KINDS, SampleSpec, SampleSummary, write_sample
from pipeline.sample.columns import KINDS
from pipeline.sample.foods import FOODS, MEALS, TRIALS
from pipeline.sample.roster import STATUSES

HEADERS = {
    "participants": "participant_id,start_date,starting_weight,weight_unit,trial,status",
    "weight_log": "participant_id,measure_date,study_day,weight_value,weight_unit,energy_1_10,"
    "mood_1_10,broke_diet,note",
    "nutrition": "participant_id,entry_date,meal,food_item,quantity_g,calories_kcal,protein_g,"
    "carbs_g,fat_g,fiber_g,soluble_fiber_g,insoluble_fiber_g,sugar_g",
}
KEYWORDS = re.compile(
    r"potato|bean|rice|oat|bread|apple|banana|berries|orange|broccoli|spinach|carrot|tomato"
    r"|milk|yogurt|cheese|chicken|beef|pork|turkey|egg|almond|peanut|walnut|coffee|hot sauce|salt"
)
LB_TO_KG = 0.45359237
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleSummary]:
    out = tmp_path_factory.mktemp("dirty")
    return out, write_sample(SampleSpec(), out)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleSummary]:
    out = tmp_path_factory.mktemp("clean")
    return out, write_sample(SampleSpec(dirt=0.0), out)


def csv_files(out: Path) -> list[Path]:
    return sorted((out / "bronze").rglob("*.csv"))


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in csv_files(out)}


def records(path: Path) -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    return header, rows


def is_iso_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))


def row_dirt(
    kind: str, row: dict[str, str], previous: dict[str, str] | None, usual_unit: dict[str, str]
) -> set[str]:
    """Every row-level defect visible in a parsed row."""
    if row == previous:
        return {"duplicate"}
    found = set()
    if kind == "weight_log":
        numbers, text, date = ["weight_value"], row["note"], row["measure_date"]
        value = float(re.sub(r"[a-zA-Z ]", "", row["weight_value"]))
        if value < 0 or value > 1000:
            found.add("impossible_value")
        if row["weight_unit"] != usual_unit[row["participant_id"]]:
            found.add("unit_mixed")
    else:
        numbers = [c for c in row if c.endswith(("_g", "_kcal")) and c != "participant_id"]
        text, date = row["food_item"], row["entry_date"]
        kcal = float(re.sub(r"[a-zA-Z ]", "", row["calories_kcal"]))
        if kcal < 0 or kcal > 20000 or float(re.sub(r"[a-zA-Z ]", "", row["quantity_g"])) < 0:
            found.add("impossible_value")
    if any(re.search(r"[a-zA-Z]", row[c]) for c in numbers):
        found.add("unit_suffix")
    if not is_iso_date(date):
        found.add("bad_date")
    if "\n" in text:
        found.add("quoted_newline")
    if "\ufffd" in text:
        found.add("non_utf8")
    return found


def dirt_in_files(out: Path) -> Counter[str]:
    """Count every kind of dirt by reading the written bytes back."""
    counts: Counter[str] = Counter()
    for partition in sorted((out / "bronze").iterdir()):
        _, roster = records(partition / "participants.csv")
        usual_unit = {r[0]: r[3] for r in roster}
        for path in sorted(partition.iterdir()):
            data = path.read_bytes()
            counts["bom"] += data.startswith(b"\xef\xbb\xbf")
            counts["crlf"] += data.split(b"\n", 1)[0].endswith(b"\r")
            header, rows = records(path)
            counts["extra_column"] += header[-1] == "device"
            previous = None
            for values in rows:
                row = dict(zip(header, values, strict=True))
                if path.stem != "participants":
                    kinds = row_dirt(path.stem, row, previous, usual_unit)
                    assert len(kinds) <= 1, f"{path}: row carries {kinds}: {values}"
                    counts.update(kinds)
                previous = row
    return counts


def weigh_ins(out: Path) -> Iterator[tuple[str, float]]:
    for path in sorted((out / "bronze").rglob("weight_log.csv")):
        header, rows = records(path)
        for values in rows:
            row = dict(zip(header, values, strict=True))
            factor = LB_TO_KG if row["weight_unit"] == "lb" else 1.0
            yield row["measure_date"], float(row["weight_value"]) * factor


def test_the_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    spec = SampleSpec(participants=10, days=5, dirt=0.2)
    write_sample(spec, tmp_path / "a")
    write_sample(spec, tmp_path / "b")
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_a_different_seed_writes_different_files(tmp_path: Path) -> None:
    write_sample(SampleSpec(participants=10, days=5, seed=1), tmp_path / "a")
    write_sample(SampleSpec(participants=10, days=5, seed=2), tmp_path / "b")
    a, b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert a.keys() == b.keys()
    assert all(a[key] != b[key] for key in a)


def test_a_clean_sample_has_no_defect_at_all(clean: tuple[Path, SampleSummary]) -> None:
    out, summary = clean
    for path in csv_files(out):
        data = path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf"), path
        assert b"\r" not in data, path
        data.decode("utf-8")
        lines = data.split(b"\n")
        assert lines[0].decode() == HEADERS[path.stem], path
        assert lines[-1] == b"", path
        assert len(set(lines[1:-1])) == len(lines) - 2, f"{path} repeats a line"
    assert set(summary.dirt.values()) == {0}
    assert sum(dirt_in_files(out).values()) == 0


def test_a_dirty_sample_has_every_kind_of_dirt(dirty: tuple[Path, SampleSummary]) -> None:
    _, summary = dirty
    assert tuple(summary.dirt) == DIRT_KINDS
    assert all(summary.dirt[kind] > 0 for kind in DIRT_KINDS), dict(summary.dirt)


def test_the_summary_counts_exactly_the_dirt_in_the_files(
    dirty: tuple[Path, SampleSummary],
) -> None:
    out, summary = dirty
    assert dirt_in_files(out) == Counter(dict(summary.dirt))


def test_about_the_requested_fraction_of_rows_is_dirty(dirty: tuple[Path, SampleSummary]) -> None:
    _, summary = dirty
    data_rows = summary.rows["weight_log"] + summary.rows["nutrition"]
    row_dirt = sum(summary.dirt[k] for k in pipeline.sample.ROW_KINDS)
    assert 0.035 < row_dirt / data_rows < 0.065


def test_every_file_parses_as_csv_with_its_header(dirty: tuple[Path, SampleSummary]) -> None:
    out, summary = dirty
    rows: Counter[str] = Counter()
    for path in csv_files(out):
        header, values = records(path)
        assert header[: len(HEADERS[path.stem].split(","))] == HEADERS[path.stem].split(",")
        assert all(len(v) == len(header) for v in values), path
        rows[path.stem] += len(values)
    assert rows == Counter(dict(summary.rows))
    assert summary.files == len(csv_files(out)) == 3 * 21
    assert summary.bytes == sum(p.stat().st_size for p in csv_files(out))


def test_each_trial_day_lands_in_its_own_drop_the_next_day(
    clean: tuple[Path, SampleSummary],
) -> None:
    out, summary = clean
    assert summary.partitions[0] == "ingest_date=2026-10-02"
    assert summary.partitions[-1] == "ingest_date=2026-10-22"
    for partition in summary.partitions:
        ingest = datetime.date.fromisoformat(partition.split("=")[1])
        _, rows = records(out / "bronze" / partition / "nutrition.csv")
        assert {r[1] for r in rows} == {(ingest - datetime.timedelta(days=1)).isoformat()}


def test_weights_trend_down_over_the_trial(clean: tuple[Path, SampleSummary]) -> None:
    by_day: dict[str, list[float]] = {}
    for day, kg in weigh_ins(clean[0]):
        by_day.setdefault(day, []).append(kg)
    means = [sum(v) / len(v) for _, v in sorted(by_day.items())]
    assert sum(means[-3:]) / 3 < sum(means[:3]) / 3 - 1.0


def test_about_a_third_of_participants_weigh_in_pounds(clean: tuple[Path, SampleSummary]) -> None:
    _, roster = records(clean[0] / "bronze" / "ingest_date=2026-10-22" / "participants.csv")
    units = Counter(r[3] for r in roster)
    assert 0.2 < units["lb"] / len(roster) < 0.5
    assert [r[0] for r in roster[:2]] == ["P0001", "P0002"]


def test_a_participant_who_stops_changes_status_in_later_drops(
    clean: tuple[Path, SampleSummary],
) -> None:
    out, summary = clean
    first, last = (
        {r[0]: r[5] for r in records(out / "bronze" / p / "participants.csv")[1]}
        for p in (summary.partitions[0], summary.partitions[-1])
    )
    assert set(first.values()) == {"completed"}
    assert {"closed_early", "dropped"} <= set(last.values())


def test_nutrients_agree_with_the_quantity(clean: tuple[Path, SampleSummary]) -> None:
    foods = {f.name: f for f in FOODS}
    for path in (clean[0] / "bronze").rglob("nutrition.csv"):
        header, rows = records(path)
        for values in rows:
            row = dict(zip(header, values, strict=True))
            food = foods[row["food_item"]]
            grams = float(row["quantity_g"])
            assert 0 < grams <= 5000
            assert float(row["calories_kcal"]) == pytest.approx(food.kcal * grams / 100, abs=0.06)
            fiber = float(row["soluble_fiber_g"]) + float(row["insoluble_fiber_g"])
            assert fiber == pytest.approx(float(row["fiber_g"]), abs=1e-9)
            assert row["meal"] in MEALS


def test_every_food_names_a_category_keyword() -> None:
    assert all(KEYWORDS.search(food.name) for food in FOODS)


def test_the_vocabulary_matches_the_bronze_contracts() -> None:
    assert set(TRIALS) == set(bronze.TRIALS)
    assert set(STATUSES) == set(bronze.STATUSES)
    assert set(MEALS) == set(bronze.MEALS)
    assert KINDS == lake.FILE_KINDS
    for kind, contract in bronze.CONTRACTS.items():
        assert set(contract.columns) <= set(HEADERS[kind].split(","))


def test_size_mode_writes_one_partition_of_about_the_requested_size(tmp_path: Path) -> None:
    seen: list[int] = []
    summary = write_sample(SampleSpec(size_mb=5), tmp_path, on_progress=seen.append)
    assert summary.partitions == ("ingest_date=2026-10-22",)
    assert summary.files == 3
    assert 4_250_000 <= summary.bytes <= 5_750_000
    assert seen == sorted(seen) and seen[-1] == summary.bytes and len(seen) > 3


def test_size_mode_is_deterministic_too(tmp_path: Path) -> None:
    write_sample(SampleSpec(size_mb=0.5, dirt=0.2), tmp_path / "a")
    write_sample(SampleSpec(size_mb=0.5, dirt=0.2), tmp_path / "b")
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


MEMORY_PROBE = """
import json, pathlib, resource, sys, tempfile
from pipeline.sample import SampleSpec, write_sample
out = pathlib.Path(sys.argv[1])
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
write_sample(SampleSpec(size_mb=8), out / "warm")
before = peak()
summary = write_sample(SampleSpec(size_mb=40, seed=3), out / "big")
print(json.dumps({"growth_kb": peak() - before, "bytes": summary.bytes}))
"""


def test_size_mode_streams_with_flat_memory(tmp_path: Path) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(probe.stdout)
    assert result["bytes"] > 34_000_000
    # ru_maxrss is in KiB on Linux; holding the 40 MB file in memory would show as growth.
    assert result["growth_kb"] < 25 * 1024, result


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("participants", -1, "participants must be within"),
        ("participants", 0, "participants must be within"),
        ("days", 0, "days must be within"),
        ("dirt", 0.6, "dirt must be a fraction within"),
        ("dirt", -0.1, "dirt must be a fraction within"),
        ("seed", -5, "seed must be within"),
        ("size_mb", 0, "size_mb must be greater than 0"),
        ("participants", 2.5, "participants must be an integer"),
    ],
)
def test_an_invalid_spec_is_refused_with_a_clear_message(
    field: str, value: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SampleSpec(**{field: value})  # type: ignore[arg-type]


def test_the_public_api_is_explicit() -> None:
    assert sorted(pipeline.sample.__all__) == [
        "DIRT_KINDS",
        "FILE_KINDS",
        "ROW_KINDS",
        "SampleSpec",
        "SampleSummary",
        "write_sample",
    ]
    assert DIRT_KINDS == (
        "unit_suffix",
        "quoted_newline",
        "non_utf8",
        "impossible_value",
        "bad_date",
        "duplicate",
        "unit_mixed",
        "bom",
        "crlf",
        "extra_column",
    )
