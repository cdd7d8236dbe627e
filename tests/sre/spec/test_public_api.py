from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "module", ["sre", "sre.spec", "sre.generate", "sre.check", "sre.remediation"]
)
def test_every_exported_name_exists(module: str) -> None:
    mod = importlib.import_module(module)
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name}"


def test_the_top_level_export_list_is_sorted() -> None:
    import sre

    assert sre.__all__ == sorted(sre.__all__)


def test_sre_never_imports_pipeline() -> None:
    import subprocess
    import sys

    code = (
        "import sys, sre.spec, sre.generate, sre.check, sre.cli, sre.remediation.engine;"
        "print(any(m == 'pipeline' or m.startswith('pipeline.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
