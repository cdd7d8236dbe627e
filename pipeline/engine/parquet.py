"""How the pipeline writes Parquet: zstd for what it publishes, a fast codec for work files.

zstd at level 1 compresses these tables within a few percent of the default level 3 at a
fraction of its cost; writing is a large share of a run, so the level matters.
"""

from __future__ import annotations

from typing import Any

PUBLISHED: dict[str, Any] = {"compression": "zstd", "compression_level": 1}
"""Silver tables and rejects: files that land in the lake."""

WORK: dict[str, Any] = {"compression": "lz4"}
"""Files a later task of the same run reads once, then deletes."""
