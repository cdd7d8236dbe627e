"""Observers that show a run as it goes: a live display on a terminal, log lines elsewhere."""

from __future__ import annotations

import logging
from types import TracebackType

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from pipeline.ledger import TaskReport
from pipeline.runner import TASKS, Observer

log = logging.getLogger("pipeline.task")


class LogObserver(Observer):
    """One structured log line per task; the JSON formatter turns the extras into keys."""

    def task_started(self, run_id: str, task: str) -> None:
        log.debug(
            "task %s started", task, extra={"run_id": run_id, "task": task, "status": "started"}
        )

    def task_finished(self, run_id: str, report: TaskReport, result: object = None) -> None:
        level = logging.INFO if report.status == "success" else logging.ERROR
        log.log(
            level,
            "task %s %s in %.2fs",
            report.name,
            report.status,
            report.duration_seconds,
            extra={
                "run_id": run_id,
                "task": report.name,
                "status": report.status,
                "rows": report.rows_out,
                "duration_seconds": round(report.duration_seconds, 3),
                "error": report.error,
            },
        )


class TerminalProgress(Observer):
    """A line per task with a spinner while it runs and its timing when done."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._ids: dict[str, TaskID] = {}

    def __enter__(self) -> TerminalProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def task_started(self, run_id: str, task: str) -> None:
        step = TASKS.index(task) + 1 if task in TASKS else 0
        self._ids[task] = self._progress.add_task(f"[{step}/{len(TASKS)}] {task}", total=1)

    def task_finished(self, run_id: str, report: TaskReport, result: object = None) -> None:
        mark = "[green]✓[/]" if report.status == "success" else "[red]✗[/]"
        detail = f"{report.rows_out:,} rows" if report.rows_out else ""
        self._progress.update(
            self._ids[report.name],
            completed=1,
            description=f"{mark} {report.name:<9} {detail}",
        )
