"""Grafana's own view of a dashboard: its model (grafana-foundation-sdk, the types Grafana
generates from its CUE kinds) and its JSON schemas for Grafana 11.6.

`model_problems` loads the JSON into the SDK's `Dashboard` and writes it back, listing what
fails to load and every target field lost or changed on the way. `schema_problems` validates
the dashboard, each panel's options and field config against its plugin's schema, and each
target against its datasource's query schema.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMAS = Path(__file__).resolve().parent / "schemas"  # copies: CI needs nothing outside
GRAFANA = SCHEMAS / "grafana-11.6"


@cache
def _schema(kind: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((GRAFANA / f"{kind}.jsonschema.json").read_text())
    if kind == "dashboard":
        # The first threshold step is -Infinity, which JSON writes as null (the schema's own
        # description says so, and Grafana's model types it Optional[float]).
        doc["definitions"]["Threshold"]["properties"]["value"] = {"type": ["number", "null"]}
    return doc


def _errors(instance: Any, kind: str, definition: str | None, where: str) -> list[str]:
    schema = _schema(kind)
    if definition is not None:
        schema = {**schema, "$ref": f"#/definitions/{definition}"}
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{where}{'.' if e.absolute_path else ''}"
        f"{'.'.join(str(p) for p in e.absolute_path)}: {e.message[:200]}"
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]


def schema_problems(doc: dict[str, Any]) -> list[str]:
    # Panels one by one: under the dashboard, a bad panel is one "not valid under any of the
    # given schemas" (panel or row) without saying why.
    problems = _errors({**doc, "panels": []}, "dashboard", None, "dashboard")
    for index, panel in enumerate(doc.get("panels", [])):
        where = f"panels[{index}]"
        kind = panel.get("type", "")
        row = "RowPanel" if kind == "row" else "Panel"
        problems += _errors(panel, "dashboard", row, where)
        if (GRAFANA / f"{kind}.jsonschema.json").is_file():
            if "options" in panel:
                problems += _errors(panel["options"], kind, "Options", f"{where}.options")
            custom = panel.get("fieldConfig", {}).get("defaults", {}).get("custom")
            if custom is not None and "FieldConfig" in _schema(kind)["definitions"]:
                problems += _errors(custom, kind, "FieldConfig", f"{where}.fieldConfig.custom")
        for number, target in enumerate(panel.get("targets", [])):
            source = (target.get("datasource") or panel.get("datasource") or {}).get("type")
            if source in ("prometheus", "loki"):
                problems += _errors(target, source, None, f"{where}.targets[{number}]")
            else:
                problems.append(f"{where}.targets[{number}]: no datasource type")
    return problems


def model_problems(doc: dict[str, Any]) -> list[str]:
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.cog.plugins import register_default_plugins
    from grafana_foundation_sdk.models.dashboard import Dashboard

    register_default_plugins()
    try:
        model = Dashboard.from_json(doc)
    except Exception as exc:  # noqa: BLE001 - any failure to load is the finding
        return [f"does not load: {type(exc).__name__}: {exc}"]
    back = json.loads(json.dumps(model, cls=JSONEncoder))
    problems = []
    for index, (panel, again) in enumerate(zip(doc["panels"], back["panels"], strict=True)):
        for number, (target, kept) in enumerate(
            zip(panel.get("targets", []), again.get("targets", []), strict=True)
        ):
            for key, value in target.items():
                if kept.get(key) != value:
                    problems.append(
                        f"panels[{index}].targets[{number}].{key}: {value!r} came back as "
                        f"{kept.get(key)!r}"
                    )
        for key in ("title", "type", "datasource", "gridPos", "fieldConfig", "options"):
            if key in panel and again.get(key) != panel[key]:
                problems.append(f"panels[{index}].{key} changed on the round trip")
    return problems
