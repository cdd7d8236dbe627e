"""Check: every silver table this run produced meets its contract before it may be published."""

from __future__ import annotations

import polars as pl

from pipeline.contracts.silver import CONTRACTS, failures
from pipeline.errors import ContractViolation
from pipeline.tasks.transform import Transformed


def run(transformed: Transformed) -> dict[str, int]:
    """Rows checked per table; raises ContractViolation naming every failed expectation."""
    problems: list[str] = []
    rows: dict[str, int] = {}
    for table, paths in transformed.tables.items():
        frame = pl.scan_parquet(paths)
        rows[table] = frame.select(pl.len()).collect().item()
        for check, count in failures(CONTRACTS[table], frame).items():
            problems.append(f"{table}.{check}: {count} row(s)")
    if problems:
        raise ContractViolation("silver", "; ".join(problems), rule=problems[0].split(":")[0])
    return rows
