"""The dirt catalogue: every kind of dirty bronze is either cleaned and kept or rejected by rule."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.errors import BronzeFileError
from pipeline.lake import Partition
from pipeline.tasks.ingest import BronzeFile
from pipeline.tasks.validate import FileResult, validate_file

from .conftest import NUTRITION_HEADER, WEIGHT_HEADER

GOOD_FOOD = "P0001,2026-10-01,lunch,baked potato,300,231,6,51,0.3,6.6,2.0,4.6,2.4"
GOOD_WEIGHT = "P0001,2026-10-01,0,210.4,lb,7,8,false,ok"


def check(tmp_path: Path, kind: str, data: bytes) -> FileResult:
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(data)
    partition = Partition("ingest_date=2026-10-02")
    bronze = BronzeFile(partition, kind, partition.key(kind), path, len(data))
    return validate_file(bronze, tmp_path / "work")


def nutrition(*rows: str, header: str = NUTRITION_HEADER, eol: str = "\n") -> bytes:
    return (eol.join([header, *rows]) + eol).encode()


def clean(result: FileResult) -> pl.DataFrame:
    return pl.read_parquet(result.clean)


def rejects(result: FileResult) -> pl.DataFrame:
    return pl.read_parquet(result.rejects)


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        (
            "P0001,2026-10-01,lunch,baked potato,300,-20,6,51,0.3,6.6,2.0,4.6,2.4",
            "calories_kcal_in_range",
        ),
        (
            "P0001,2026-10-01,lunch,baked potato,300,25000,6,51,0.3,6.6,2.0,4.6,2.4",
            "calories_kcal_in_range",
        ),
        (
            "P0001,2026-10-01,lunch,baked potato,-300,231,6,51,0.3,6.6,2.0,4.6,2.4",
            "quantity_g_in_range",
        ),
        (
            "P0001,2026-13-45,lunch,baked potato,300,231,6,51,0.3,6.6,2.0,4.6,2.4",
            "entry_date_is_date",
        ),
        (
            "P0001,yesterday,lunch,baked potato,300,231,6,51,0.3,6.6,2.0,4.6,2.4",
            "entry_date_is_date",
        ),
        (
            "P0001,31/02/2026,lunch,baked potato,300,231,6,51,0.3,6.6,2.0,4.6,2.4",
            "entry_date_is_date",
        ),
        (
            "P0001,2026-10-01,lunch,baked potato,300,lots,6,51,0.3,6.6,2.0,4.6,2.4",
            "calories_kcal_is_number",
        ),
        ("P0001,,lunch,baked potato,300,231,6,51,0.3,6.6,2.0,4.6,2.4", "entry_date_present"),
        (
            "P 1;drop,2026-10-01,lunch,baked potato,300,231,6,51,0.3,6.6,2.0,4.6,2.4",
            "participant_id_valid",
        ),
        (
            "P0001,2026-10-01,lunch,baked potato,300,231,6,51,0.3,6.6,-2.0,4.6,2.4",
            "soluble_fiber_g_in_range",
        ),
    ],
)
def test_impossible_or_unparseable_nutrition_rows_are_rejected_with_their_rule(
    tmp_path: Path, row: str, rule: str
) -> None:
    result = check(tmp_path, "nutrition", nutrition(GOOD_FOOD, row))
    assert result.rejected == {rule: 1}
    assert result.rows_ok == 1
    reject = rejects(result).row(0, named=True)
    assert reject["rule"] == rule
    assert reject["source_file"] == "bronze/ingest_date=2026-10-02/nutrition.csv"
    assert reject["source_line"] == 3
    assert reject["participant_id"] == row.split(",")[0]  # raw text kept for the investigator


def test_duplicate_rows_keep_the_first_copy_and_reject_the_rest(tmp_path: Path) -> None:
    result = check(tmp_path, "nutrition", nutrition(GOOD_FOOD, GOOD_FOOD, GOOD_FOOD))
    assert result.rows_ok == 1
    assert result.rejected == {"duplicate_row": 2}
    assert rejects(result)["source_line"].to_list() == [3, 4]


def test_bom_and_crlf_are_read_as_plain_csv(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + nutrition(GOOD_FOOD, eol="\r\n")
    result = check(tmp_path, "nutrition", data)
    assert result.rows_ok == 1 and result.rejected == {}
    row = clean(result).row(0, named=True)
    assert row["participant_id"] == "P0001"
    assert row["sugar_g"] == 2.4


def test_units_written_into_numeric_cells_are_stripped_not_rejected(tmp_path: Path) -> None:
    row = "P0001,2026-10-01,lunch,baked potato,300 g,231 kcal,6g,51 g,0.3,6.6,2.0,4.6,2.4 g"
    result = check(tmp_path, "nutrition", nutrition(row))
    kept = clean(result).row(0, named=True)
    assert (kept["quantity_g"], kept["calories_kcal"], kept["protein_g"], kept["sugar_g"]) == (
        300.0,
        231.0,
        6.0,
        2.4,
    )


def test_quoted_newlines_and_commas_stay_in_the_text_and_shift_line_numbers(tmp_path: Path) -> None:
    tricky = 'P0001,2026-10-01,lunch,"potato soup, with\nleeks",300,231,6,51,0.3,6.6,2.0,4.6,2.4'
    bad = "P0002,2026-10-01,lunch,rice,200,-1,5,56,0.5,0.8,0.2,0.6,0.1"
    result = check(tmp_path, "nutrition", nutrition(tricky, bad))
    assert clean(result)["food_item"].to_list() == ["potato soup, with\nleeks"]
    assert rejects(result)["source_line"].to_list() == [4]  # header 1, the soup spans 2 and 3


def test_a_non_utf8_byte_in_free_text_keeps_the_row_and_replaces_the_byte(tmp_path: Path) -> None:
    data = nutrition(GOOD_FOOD).replace(b"baked potato", b"caf\xe9 potato")
    result = check(tmp_path, "nutrition", data)
    assert result.rows_ok == 1 and result.rejected == {}
    assert clean(result)["food_item"].to_list() == ["caf\ufffd potato"]


def test_an_unknown_extra_column_is_ignored_and_reported(tmp_path: Path) -> None:
    data = nutrition(GOOD_FOOD + ",scale-v2", header=NUTRITION_HEADER + ",device")
    result = check(tmp_path, "nutrition", data)
    assert result.unknown_columns == ("device",)
    assert result.rows_ok == 1
    assert "device" not in clean(result).columns


def test_lb_and_kg_in_any_spelling_are_both_understood(tmp_path: Path) -> None:
    rows = [
        "P0001,2026-10-01,0,210.4,lb,7,8,false,ok",
        "P0001,2026-10-02,1,95.0,KG,7,8,false,ok",
        "P0001,2026-10-03,2,209.0 lb,Lbs,7,8,false,ok",
    ]
    data = ("\n".join([WEIGHT_HEADER, *rows]) + "\n").encode()
    result = check(tmp_path, "weight_log", data)
    units = clean(result)["weight_unit"].to_list()
    assert units == ["lb", "kg", "lb"]
    assert result.rejected == {}


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        ("P0001,2026-10-02,1,-5,kg,7,8,false,ok", "weight_value_in_range"),
        ("P0001,2026-10-02,1,1500,lb,7,8,false,ok", "weight_value_in_range"),
        ("P0001,2026-10-02,1,95,stone,7,8,false,ok", "weight_unit_allowed"),
        ("P0001,2026-10-02,1,95,kg,11,8,false,ok", "energy_1_10_in_range"),
        ("P0001,02/10/2026,1,95,kg,7,8,false,ok", "measure_date_is_date"),
    ],
)
def test_impossible_weights_and_scores_are_rejected(tmp_path: Path, row: str, rule: str) -> None:
    data = ("\n".join([WEIGHT_HEADER, GOOD_WEIGHT, row]) + "\n").encode()
    assert check(tmp_path, "weight_log", data).rejected == {rule: 1}


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "empty file"),
        (b"\n\n  \n", "empty file"),
        ("participant_id,entry_date\n".encode("utf-16"), "binary content"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary content"),
        (b'{"participant_id": "P0001"}\n', "not a CSV file"),
        (
            b"participant_id,entry_date,meal\nP0001,2026-10-01,lunch\n",
            "missing required column(s): food_item",
        ),
        (b"participant_id,entry_d\xe9te\n", "header is not UTF-8"),
    ],
)
def test_file_level_problems_name_the_file_and_the_problem(
    tmp_path: Path, data: bytes, problem: str
) -> None:
    with pytest.raises(BronzeFileError) as caught:
        check(tmp_path, "nutrition", data)
    assert problem in str(caught.value)
    assert caught.value.file == "bronze/ingest_date=2026-10-02/nutrition.csv"


def test_a_header_without_rows_is_a_valid_empty_drop(tmp_path: Path) -> None:
    result = check(tmp_path, "nutrition", nutrition())
    assert (result.rows_in, result.rows_ok, result.rejected) == (0, 0, {})
