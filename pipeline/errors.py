"""Errors raised by the pipeline.

Hierarchy::

    PipelineError
    ├── BronzeFileError        a bronze file cannot be read as its contract needs
    │                          (fields: file, problem)
    ├── ContractViolation      rejects pass a contract's limit, or a silver table breaks its
    │                          contract (fields: contract, rule, detail)
    └── TaskFailed             a task raised; wraps the cause (fields: task)

Storage problems arrive as `sre.errors.StorageError` and its subclasses.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every error the pipeline raises on purpose."""


class BronzeFileError(PipelineError):
    """A bronze file is empty, not CSV, unreadable or lacks a required column."""

    def __init__(self, file: str, problem: str) -> None:
        super().__init__(f"{file}: {problem}")
        self.file = file
        self.problem = problem


class ContractViolation(PipelineError):
    """A data contract's limit was broken; nothing was published."""

    def __init__(self, contract: str, detail: str, *, rule: str = "") -> None:
        super().__init__(f"contract {contract}: {detail}")
        self.contract = contract
        self.rule = rule
        self.detail = detail


class TaskFailed(PipelineError):
    """A task of the run failed; the cause is chained."""

    def __init__(self, task: str, cause: BaseException) -> None:
        super().__init__(f"task {task} failed: {cause}")
        self.task = task
