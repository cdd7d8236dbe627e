"""docs/spec.md is generated from the spec types and must match them (drift check)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sre.spec.formats.convert import key_of
from sre.spec.reference import render_reference, spec_types


def test_docs_spec_md_is_up_to_date():
    committed = Path("docs/spec.md").read_text(encoding="utf-8")
    assert committed == render_reference(), "run: python -m sre.spec.reference > docs/spec.md"


def test_every_field_of_every_spec_type_is_documented():
    page = render_reference()
    for cls in spec_types():
        assert f"## {cls.__name__}\n" in page
        for field in dataclasses.fields(cls):
            if field.init:
                assert f"| `{key_of(field.name)}` |" in page, f"{cls.__name__}.{field.name}"
