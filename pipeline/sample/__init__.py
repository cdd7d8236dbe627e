"""Seeded, deterministic sample data: bronze drops that are dirty on purpose.

`write_sample(SampleSpec(...), out)` writes the drops and returns a `SampleSummary` whose `dirt`
counts (keyed by `DIRT_KINDS`) say exactly how many rows and files carry each defect.
"""

from pipeline.sample.dirt import DIRT_KINDS, FILE_KINDS, ROW_KINDS
from pipeline.sample.generator import write_sample
from pipeline.sample.spec import SampleSpec, SampleSummary

__all__ = ["DIRT_KINDS", "FILE_KINDS", "ROW_KINDS", "SampleSpec", "SampleSummary", "write_sample"]
