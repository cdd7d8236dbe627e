"""The dirt catalogue, and the file-level dirt: a BOM, CRLF line endings, an extra column.

Row-level dirt (`row_dirt`) touches weight_log and nutrition rows only, never participant_id,
and gives each dirty row exactly one kind, so the pipeline's reject counts can be checked
against the counts reported. File-level dirt is counted per file.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from pipeline.sample.columns import Table

UNIT_SUFFIX = "unit_suffix"
QUOTED_NEWLINE = "quoted_newline"
NON_UTF8 = "non_utf8"
IMPOSSIBLE_VALUE = "impossible_value"
BAD_DATE = "bad_date"
DUPLICATE = "duplicate"
UNIT_MIXED = "unit_mixed"
ROW_KINDS = (
    UNIT_SUFFIX,
    QUOTED_NEWLINE,
    NON_UTF8,
    IMPOSSIBLE_VALUE,
    BAD_DATE,
    DUPLICATE,
    UNIT_MIXED,
)
BOM = "bom"
CRLF = "crlf"
EXTRA_COLUMN = "extra_column"
FILE_KINDS = (BOM, CRLF, EXTRA_COLUMN)
DIRT_KINDS = ROW_KINDS + FILE_KINDS

EXTRA_COLUMN_NAME = "device"
DEVICES = ("scale-v2", "scale-v3", "app-ios", "app-android", "web")
BAD_DATES = ("2026-13-45", "yesterday", "31/02/2026", "2026-02-30", "10/32/2026", "n/a")

# Polars only holds valid text, so a raw latin-1 byte travels as a private-use character
# (U+E080..U+E0FF) and becomes the byte itself once the chunk is encoded.
_MARK = 0xE000
_MARKED = re.compile(rb"\xee[\x82\x83][\x80-\xbf]")


def mark_latin1(text: str) -> str:
    """Text whose non-ASCII latin-1 characters will be written as single raw bytes."""
    return "".join(chr(_MARK + ord(c)) if 0x80 <= ord(c) <= 0xFF else c for c in text)


def unmark_latin1(data: bytes) -> bytes:
    """Turn the marked characters of encoded text into the raw bytes they stand for."""
    if b"\xee" not in data:
        return data
    return _MARKED.sub(lambda m: bytes([ord(m.group().decode()) - _MARK]), data)


def add_extra_column(table: Table, rng: np.random.Generator) -> Table:
    """The table with an unknown trailing `device` column."""
    n = len(next(iter(table.values())))
    devices = pl.Series(DEVICES, dtype=pl.String).gather(rng.integers(0, len(DEVICES), n))
    return {**table, EXTRA_COLUMN_NAME: devices}


def choose_file_dirt(
    files: int, partitions: int, fraction: float, rng: np.random.Generator
) -> list[frozenset[str]]:
    """The file-level kinds each file gets: each kind on about `fraction * 4` of the files."""
    chosen: list[set[str]] = [set() for _ in range(files)]
    if fraction <= 0 or files == 0:
        return [frozenset() for _ in chosen]
    count = round(fraction * 4 * files)
    count = min(files, max(count, 1 if partitions >= 3 else 0))
    for kind in FILE_KINDS:
        for index in rng.choice(files, size=count, replace=False):
            chosen[int(index)].add(kind)
    return [frozenset(kinds) for kinds in chosen]
