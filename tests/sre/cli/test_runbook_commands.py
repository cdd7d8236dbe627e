"""Every command the generated runbook prints parses with the real CLI, names its service, and
the by-hand remediations do what the page says (plan, touching nothing, unless --execute)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pipeline.cli import main as pipeline_main
from sre.cli import main as sre_main
from sre.remediation.action import Plan
from sre.remediation.actions import backup
from sre.remediation.deps import Stores
from sre.storage import LocalStore
from tests.sre.remediation.conftest import contents, write_silver

ROOT = Path(__file__).parents[3]
PAGES = sorted([*(ROOT / "runbooks" / "site").rglob("*.md"), ROOT / "ops" / "runbook.md"])
PROGRAMS: dict[str, click.Group] = {"sre": sre_main, "potato-pipeline": pipeline_main}
_FENCE = re.compile(r"```bash\n(.*?)```", re.DOTALL)
_INLINE = re.compile(r"`((?:sre|potato-pipeline) [^`]+)`")
# What the pages ask the reader to fill in, with a value of the kind each stands for.
PLACEHOLDERS = {
    "RUN": "1",
    "N": "2",
    "PREFIX": "silver/weight_daily/",
    "DATE": "2026-11-25",
    "ACTION": "command",
    "TARGET": "potato-pipeline",
    "ALERTNAME": "PipelineDataStale",
    "SERVICE": "orders-etl",
    "NAME": "orders-etl",
}


def filled(command: str) -> list[str]:
    return [PLACEHOLDERS.get(word, word) for word in shlex.split(command)]


def printed_commands() -> list[tuple[str, str]]:
    """(page, command) for every sre / potato-pipeline command in a bash block or inline."""
    found: list[tuple[str, str]] = []
    for page in PAGES:
        text = page.read_text()
        where = page.relative_to(ROOT).as_posix()
        for block in _FENCE.findall(text):
            for line in block.splitlines():
                line = line.split("  #")[0].strip()
                if line.split(" ")[0] in PROGRAMS:
                    found.append((where, line))
        found += [(where, m) for m in _INLINE.findall(text)]
    return sorted(set(found))


def parse(argv: list[str]) -> click.Context:
    """Parse `argv` as the real CLI would, down to the leaf command, running nothing."""
    command: click.Command = PROGRAMS[argv[0]]
    ctx = command.make_context(argv[0], argv[1:], resilient_parsing=False)
    while isinstance(command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]  # what the group leaves to its subcommand
        name, sub, rest = command.resolve_command(ctx, rest)
        assert sub is not None and name is not None
        command, ctx = sub, sub.make_context(name, rest, parent=ctx)
    return ctx


COMMANDS = printed_commands()


def test_the_runbook_prints_the_by_hand_remediations() -> None:
    remediations = [c for _, c in COMMANDS if c.startswith("sre remediate ")]
    assert {c.split()[2] for c in remediations} >= {"command", "quarantine", "restore"}


@pytest.mark.parametrize(("page", "command"), COMMANDS, ids=[f"{p}:{c}" for p, c in COMMANDS])
def test_every_printed_command_parses_with_the_real_cli(page: str, command: str) -> None:
    try:
        parse(filled(command))
    except click.ClickException as exc:
        pytest.fail(f"{page}: `{command}` does not parse: {exc.format_message()}")


# The pages of this service's alerts (and the single-file runbook) print its remediations; the
# action pages also show the general form, with placeholders.
POTATO = sorted({c for p, c in COMMANDS if c.startswith("sre remediate ") and "/actions/" not in p})


def test_every_alert_with_a_policy_prints_its_by_hand_remediation() -> None:
    assert {shlex.split(c)[2] for c in POTATO} == {"command", "quarantine", "restore"}


@pytest.mark.parametrize("command", POTATO)
def test_every_by_hand_remediation_names_its_service(command: str) -> None:
    ctx = parse(filled(command))
    assert ctx.params["service_name"] == "potato-pipeline"


@pytest.fixture
def places(tmp_path: Path) -> list[str]:
    lake = LocalStore(tmp_path / "lake", create=True)
    stores = Stores(lake, *(LocalStore(tmp_path / n, create=True) for n in ("q", "b")))
    write_silver(lake, {"weight_daily": [5, 5], "nutrition_daily": [4]})
    made = backup.plan("2026-11-25", backup.inspect(lake))
    assert isinstance(made, Plan) and backup.apply(made, stores, incident="i", now=_now()).ok
    return [
        "--lake",
        str(tmp_path / "lake"),
        "--quarantine",
        str(tmp_path / "q"),
        "--backup",
        str(tmp_path / "b"),
        "--state",
        f"sqlite:///{tmp_path / 'state.db'}",
    ]


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime(2026, 11, 25, tzinfo=UTC)


@pytest.mark.parametrize("command", POTATO)
def test_every_by_hand_remediation_plans_and_changes_nothing(
    command: str, places: list[str], tmp_path: Path
) -> None:
    # The page says what PREFIX is: the alert's `prefix` label, a damaged prefix of one table.
    argv = filled(command)[1:]
    before = contents(LocalStore(tmp_path / "lake"))
    result = CliRunner().invoke(sre_main, [*argv, *places])
    assert result.exit_code == 0, result.output
    assert "for potato-pipeline" in result.output and "dry run: nothing changed" in result.output
    assert contents(LocalStore(tmp_path / "lake")) == before
