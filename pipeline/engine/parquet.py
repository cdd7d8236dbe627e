"""How the pipeline writes Parquet: zstd for what it publishes, a fast codec for work files.

zstd at level 1 costs less CPU than the default level 3 for files 5-7% larger (measured on the
500 MB benchmark's nutrition_entries and nutrition_daily); writing is a large share of a run.
"""

from __future__ import annotations

from typing import Any

PUBLISHED: dict[str, Any] = {"compression": "zstd", "compression_level": 1}
"""Silver tables and rejects: files that land in the lake."""

WORK: dict[str, Any] = {"compression": "lz4"}
"""Files a later task of the same run reads once, then deletes."""
