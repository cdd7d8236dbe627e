"""What every `potato-pipeline` command shares: the lake and JSON options, exit codes, failing."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from sre.exitcodes import ExitCode

# The same codes as `sre` (one table, in sre.exitcodes).
EXIT_FAILED = ExitCode.FAILED  # the run or the check failed; committed silver is unchanged
EXIT_UNAVAILABLE = ExitCode.UNAVAILABLE  # the lake cannot be used (path, bucket, credentials)

lake_option = click.option(
    "--lake",
    metavar="PATH|s3://BUCKET/PREFIX",
    help="The lake. Default: $POTATO_LAKE, else ./lake.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")


def fail(message: str, code: int) -> NoReturn:
    """One line on stderr, then exit with `code`: no traceback for an operator to read."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
