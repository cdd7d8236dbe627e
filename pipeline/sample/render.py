"""From a table to the bytes of a CSV chunk, with its row and file-level dirt applied."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipeline.sample.columns import Table
from pipeline.sample.dirt import BOM, CRLF, EXTRA_COLUMN, add_extra_column, unmark_latin1
from pipeline.sample.row_dirt import spoil_rows


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive bytes of one file, the data rows they hold and their row-level dirt counts."""

    data: bytes
    rows: int
    dirt: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class SampleFile:
    """One file to write: its lake key, kind, file-level dirt, and its chunks (lazily made)."""

    key: str
    partition: str
    kind: str
    dirt: frozenset[str]
    chunks: Iterable[Chunk]


def render(
    table: Table,
    kind: str,
    file_dirt: frozenset[str],
    fraction: float,
    rng: np.random.Generator,
    *,
    first: bool,
) -> Chunk:
    """Spoil about `fraction` of the rows and encode them; `first` adds the header (and BOM)."""
    if EXTRA_COLUMN in file_dirt:
        table = add_extra_column(table, rng)
    frame, counts = spoil_rows(table, kind, fraction, rng)
    buffer = io.BytesIO()
    if first and BOM in file_dirt:
        buffer.write(codecs.BOM_UTF8)
    frame.write_csv(
        buffer,
        include_header=first,
        line_terminator="\r\n" if CRLF in file_dirt else "\n",
        quote_style="necessary",
    )
    return Chunk(unmark_latin1(buffer.getvalue()), frame.height, counts)


def as_table(frame: pl.DataFrame, columns: tuple[str, ...]) -> Table:
    """The named columns of a frame as a table."""
    return {name: frame.get_column(name) for name in columns}
