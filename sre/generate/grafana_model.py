"""grafanalib's JSON made to fit Grafana's own dashboard model (schema 39+, as in Grafana 11
and 12): grafanalib writes legacy keys and `null` for unset fields, which Grafana's model and
its JSON schema reject (`fieldConfig.defaults.color: null` where an object is wanted, a Loki
target's numeric `step`, `time_options` on the time picker).

Pure: a dashboard dict in, a conforming dict out. Unset means absent, never `null` (except a
threshold's base step, which is -Infinity and so `null` in JSON, as Grafana writes it).
"""

from __future__ import annotations

from typing import Any

__all__ = ["conform", "dashboard_link", "target"]

# Keys grafanalib writes that Grafana's model does not have (or no longer has).
_LEGACY = {
    "dashboard": ("__inputs", "hideControls", "sharedCrosshair", "rows", "style", "gnetId"),
    "timepicker": ("time_options",),
    "variable": ("tagValuesQuery", "tagsQuery", "useTags"),
}
_OPTIONS: dict[str, dict[str, Any]] = {
    # Required by the 11.6 panel schemas; these are Grafana's defaults.
    "stat": {"wideLayout": True, "showPercentChange": False, "percentChangeColorMode": "standard"},
    "logs": {"showLogContextToggle": False},
}


def _no_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if item is None and key != "value":
                continue
            out[key] = _no_nulls(item)
        return out
    if isinstance(value, list):
        return [_no_nulls(v) for v in value]
    return value


def dashboard_link(title: str, url: str, icon: str = "doc") -> dict[str, Any]:
    """A link as Grafana's model writes it (the same type on dashboards and panels)."""
    return {
        "title": title,
        "type": "link",
        "url": url,
        "icon": icon,
        "tooltip": "",
        "tags": [],
        "asDropdown": False,
        "targetBlank": True,
        "includeVars": False,
        "keepTime": False,
    }


def target(kind: str, ref_id: str, expr: str, legend: str, datasource: dict[str, str]
           ) -> dict[str, Any]:  # fmt: skip
    """A query as its datasource's model types it: Prometheus and Loki range queries."""
    query: dict[str, Any] = {
        "datasource": dict(datasource),
        "refId": ref_id,
        "expr": expr,
        "legendFormat": legend,
        "editorMode": "code",
    }
    if kind == "logs":
        query["queryType"] = "range"
    else:
        query["range"] = True
    return query


def conform(data: dict[str, Any]) -> dict[str, Any]:
    """`data` (grafanalib's `to_json_data()`, as plain JSON) as Grafana's model has it."""
    board: dict[str, Any] = _no_nulls(data)
    for key in _LEGACY["dashboard"]:
        board.pop(key, None)
    picker = board.get("timepicker", {})
    for key in _LEGACY["timepicker"]:
        picker.pop(key, None)
    for var in board.get("templating", {}).get("list", []):
        for key in _LEGACY["variable"]:
            var.pop(key, None)
    for panel in board.get("panels", []):
        panel.pop("repeatDirection", None)  # only meaningful with `repeat`
        options = panel.setdefault("options", {})
        for key, value in _OPTIONS.get(panel.get("type", ""), {}).items():
            options.setdefault(key, value)
        legend = options.get("legend")
        if isinstance(legend, dict):
            legend.setdefault("showLegend", legend.get("displayMode") != "hidden")
        defaults = panel.get("fieldConfig", {}).get("defaults", {})
        thresholds = defaults.get("thresholds")
        if isinstance(thresholds, dict) and not isinstance(thresholds.get("steps"), list):
            thresholds["steps"] = []
    return board
