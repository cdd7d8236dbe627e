"""`sre serve --approvers-dir`: one token file per approver, refused when it could be confused."""

from __future__ import annotations

from pathlib import Path

import pytest

from sre.cli.serve_people import approvers_from


def folder(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / name.replace("_", ".")).write_text(text)
    return tmp_path


def test_each_file_is_an_approver_named_after_it(tmp_path: Path) -> None:
    found = approvers_from(folder(tmp_path, alice="a" * 20 + "\n", bob_smith="b" * 20), ())
    assert found.tokens == (("alice", b"a" * 20), ("bob.smith", b"b" * 20))
    assert found.who(f"Bearer {'b' * 20}") == (200, "bob.smith")
    assert found.who("Bearer " + "c" * 20) == (403, None)
    assert found.who(None) == (401, None)


@pytest.mark.parametrize(
    ("files", "webhook", "message"),
    [
        ({"alice": "short"}, (), "at least 16 characters"),
        ({"alice": "t" * 20, "bob": "t" * 20}, (), "their own token"),
        ({"alice": "t" * 20}, (b"t" * 20,), "distinct from the webhook's"),
        ({}, (), "holds no approver token file"),
    ],
)
def test_a_confusable_or_empty_folder_is_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str],
    webhook: tuple[bytes, ...],
    message: str,
) -> None:
    with pytest.raises(SystemExit):
        approvers_from(folder(tmp_path, **files), webhook)
    assert message in capsys.readouterr().err
