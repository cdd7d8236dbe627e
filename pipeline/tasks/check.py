"""Check: every silver table this run produced meets its contract before it may be published."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.context import RunContext
from pipeline.contracts.silver import CONTRACTS, failing, failures
from pipeline.engine.rollups import ROWS
from pipeline.errors import ContractViolation
from pipeline.tasks.transform import Transformed


def _checked_upstream(paths: list[Path]) -> tuple[int, dict[str, int]]:
    """Rows and failures from the per-file counts the validation pass rolled up."""
    totals = pl.read_parquet(paths).sum().row(0, named=True)
    return int(totals.pop(ROWS)), failing(totals)


@dataclass(frozen=True, slots=True)
class Checked:
    """Tables that met their contracts, with the rows checked per table."""

    transformed: Transformed
    rows: dict[str, int]


def run(ctx: RunContext, transformed: Transformed) -> Checked:
    """Rows checked per table; raises ContractViolation naming every failed expectation."""
    problems: list[str] = []
    rows: dict[str, int] = {}
    for table, paths in transformed.tables.items():
        if table in transformed.checked:
            rows[table], failed = _checked_upstream(transformed.checked[table])
        else:
            frame = pl.scan_parquet(paths)
            rows[table] = frame.select(pl.len()).collect().item()
            failed = failures(CONTRACTS[table], frame)
        problems.extend(f"{table}.{check}: {count} row(s)" for check, count in failed.items())
    if problems:
        raise ContractViolation("silver", "; ".join(problems), rule=problems[0].split(":")[0])
    return Checked(transformed, rows)
