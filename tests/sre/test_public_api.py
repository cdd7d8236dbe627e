"""The public API of `sre` is what `__all__` says, and every name in it imports."""

from __future__ import annotations

import sre


def test_every_exported_name_exists_and_the_list_is_sorted() -> None:
    assert sre.__all__ == sorted(sre.__all__)
    for name in sre.__all__:
        assert getattr(sre, name) is not None, name


def test_sre_never_imports_pipeline() -> None:
    import subprocess
    import sys

    code = (
        "import sys, sre, sre.cli, sre.remediation.engine; "
        "print(any(m.startswith('pipeline') for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
