"""Validate: run each bronze file's contract in the engine, split good rows from rejects.

Good rows land, typed and in their silver shape, in a local zstd Parquet file per bronze file
(for nutrition that file is the new part of `nutrition_entries`); rejected rows land beside them
with the rule they broke, the bronze key and the line the record starts on. A file whose reject
ratio passes its contract's limit fails the run, so nothing is published.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.context import RunContext
from pipeline.contracts import base
from pipeline.contracts.bronze import CONTRACTS
from pipeline.engine import parquet
from pipeline.errors import BronzeFileError, ContractViolation
from pipeline.tasks.ingest import BronzeFile, Ingested

SNIFF_BYTES = 64 * 1024
# Good nutrition rows are published as they leave validation (the new part of
# nutrition_entries); the other files' good rows are work files for the transform.
PUBLISHED_AS_IS = frozenset({"nutrition"})


@dataclass(frozen=True, slots=True)
class FileResult:
    file: BronzeFile
    clean: Path
    rejects: Path
    rows_in: int
    rows_ok: int
    rejected: dict[str, int]
    unknown_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Validated:
    results: tuple[FileResult, ...] = field(default=())

    @property
    def rows_in(self) -> int:
        return sum(r.rows_in for r in self.results)

    @property
    def rows_ok(self) -> int:
        return sum(r.rows_ok for r in self.results)

    def rejected(self) -> dict[str, int]:
        """Rejected rows per `<file>.<rule>`."""
        total: Counter[str] = Counter()
        for result in self.results:
            total.update({f"{result.file.kind}.{rule}": n for rule, n in result.rejected.items()})
        return dict(sorted(total.items()))

    def clean(self, kind: str) -> list[Path]:
        return [r.clean for r in self.results if r.file.kind == kind]

    def reject_files(self, kind: str) -> list[Path]:
        return [r.rejects for r in self.results if r.file.kind == kind and r.rejected]


def read_header(file: BronzeFile) -> list[str]:
    """The header's column names; raises BronzeFileError for files no contract can read."""
    with file.path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip():
        raise BronzeFileError(file.key, "empty file")
    if b"\x00" in head:
        raise BronzeFileError(
            file.key, "binary content (not a UTF-8 CSV: UTF-16, compressed or not text)"
        )
    first = head.removeprefix(b"\xef\xbb\xbf").splitlines()[0]
    try:
        line = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BronzeFileError(file.key, f"header is not UTF-8 ({exc.reason})") from exc
    return [c.strip() for c in next(csv.reader(io.StringIO(line)))]


def check_columns(file: BronzeFile, header: list[str]) -> tuple[str, ...]:
    """Refuse a header without the required columns; return the unknown extra columns."""
    contract = CONTRACTS[file.kind]
    missing = [c for c in contract.required if c not in header]
    if len(header) < 2:
        raise BronzeFileError(
            file.key, f"not a CSV file with a header (first line: {header[:1]!r})"
        )
    if missing:
        raise BronzeFileError(file.key, f"missing required column(s): {', '.join(missing)}")
    return tuple(c for c in header if c and c not in contract.columns)


def plan(file: BronzeFile, header: list[str]) -> pl.LazyFrame:
    """The lazy frame with typed columns, `_line` and `_rule` for one bronze file."""
    contract = CONTRACTS[file.kind]
    frame = pl.scan_csv(
        file.path,
        infer_schema=False,
        encoding="utf8-lossy",
        row_index_name=base.ROW,
        truncate_ragged_lines=True,
        with_column_names=lambda cols: [base.RAW + c.strip() for c in cols],
    )
    present = [c for c in contract.columns if c in header]
    frame = frame.select(base.ROW, *(base.raw(c) for c in present))
    return base.apply(contract, frame, present)


def validate_file(file: BronzeFile, out: Path) -> FileResult:
    header = read_header(file)
    unknown = check_columns(file, header)
    contract = CONTRACTS[file.kind]
    frame = plan(file, header)
    clean_path = out / "clean" / file.kind / f"{file.partition.name}.parquet"
    reject_path = out / "rejects" / file.kind / f"{file.partition.name}.parquet"
    clean_path.parent.mkdir(parents=True, exist_ok=True)
    reject_path.parent.mkdir(parents=True, exist_ok=True)
    good = frame.filter(pl.col(base.REJECT).is_null()).select(
        *(pl.col(name) for name in contract.typed),
        pl.lit(file.partition.ingest_date).str.to_date().alias("ingest_date"),
    )
    for name, expr in contract.derived:
        good = good.with_columns(expr.alias(name))
    bad = frame.filter(pl.col(base.REJECT).is_not_null()).select(
        base.rule_name(contract, pl.col(base.REJECT)).alias("rule"),
        pl.lit(file.key).alias("source_file"),
        pl.col(base.LINE).alias("source_line"),
        *(base.raw(c).alias(c) for c in contract.columns),
    )
    try:
        pl.collect_all(
            [
                good.sink_parquet(
                    clean_path,
                    **(parquet.PUBLISHED if file.kind in PUBLISHED_AS_IS else parquet.WORK),
                    lazy=True,
                ),
                bad.sink_parquet(reject_path, **parquet.PUBLISHED, lazy=True),
            ],
            engine="streaming",
        )
    except pl.exceptions.PolarsError as exc:
        raise BronzeFileError(file.key, f"cannot be parsed as CSV: {exc}".splitlines()[0]) from exc
    rows_ok = pl.scan_parquet(clean_path).select(pl.len()).collect().item()
    counts = pl.read_parquet(reject_path, columns=["rule"])["rule"].value_counts()
    rejected = dict(zip(counts["rule"].to_list(), counts["count"].to_list(), strict=True))
    rows_in = rows_ok + sum(rejected.values())
    return FileResult(file, clean_path, reject_path, rows_in, rows_ok, rejected, unknown)


def limit_breaches(validated: Validated) -> list[str]:
    """One line per bronze file whose reject ratio passes its contract's limit."""
    lines = []
    for result in validated.results:
        limit = CONTRACTS[result.file.kind].max_reject_ratio
        n_rejected = sum(result.rejected.values())
        if result.rows_in and n_rejected / result.rows_in > limit:
            worst = ", ".join(f"{rule}={n}" for rule, n in Counter(result.rejected).most_common(3))
            lines.append(
                f"{result.file.key}: {n_rejected} of {result.rows_in} rows rejected "
                f"({n_rejected / result.rows_in:.1%} > limit {limit:.0%}; {worst})"
            )
    return lines


def run(ctx: RunContext, ingested: Ingested) -> Validated:
    validated = Validated(tuple(validate_file(f, ctx.work) for f in ingested.files))
    breaches = limit_breaches(validated)
    if breaches:
        raise ContractViolation("reject ratio", "; ".join(breaches))
    return validated
