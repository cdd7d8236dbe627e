"""A service's part of the runbook site: one Markdown page per alert, one per procedure, its
home page and the single-file runbook (`service.runbook_file` in the repository, also the page
`runbook.md` of its folder), all under `runbooks/site/<service>/`; and the tree's site home and
`mkdocs.yml` as this service alone would have them (`sre/generate/site.py`; the CLI redoes them
over every service in the output folder).

Pages are jinja2 templates filled from the spec and from hand-written content in `runbooks/`
(passed in as a mapping of relative path -> text; this module reads no files).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from sre.errors import GenerateError
from sre.generate.expressions import (
    alert_annotations,
    error_ratio_record,
    expression,
    origin_note,
    remediation_command,
    tier_rows,
)
from sre.generate.site import MKDOCS_FILE, SITE_DIR, SITE_INDEX, mkdocs_config, site_index
from sre.spec.alert import Alert, BurnRate, Threshold
from sre.spec.environment import RUNBOOK_PAGE, Environment
from sre.spec.service import Service
from sre.spec.units import human_duration, prom_duration

__all__ = ["ALERT_SECTIONS", "alert_page", "parse_sections", "runbook_site"]

ALERT_SECTIONS = ("Meaning", "Impact", "Mitigation")  # required in runbooks/alerts/*.md
_HEADING = re.compile(r"^## (.+?)\s*$", re.MULTILINE)


@cache
def _templates() -> jinja2.Environment:
    # Markdown, not HTML: nothing to escape.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("sre.generate", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def parse_sections(text: str, path: str) -> dict[str, str]:
    """`## Heading` -> body, for a hand-written page; text before the first heading is ''."""
    parts = _HEADING.split(text)
    sections = {"": parts[0].strip()}
    for title, body in zip(parts[1::2], parts[2::2], strict=True):
        if title in sections:
            raise GenerateError(f"heading `## {title}` appears twice", path=path)
        sections[title] = body.strip()
    return sections


def demote(markdown: str, levels: int) -> str:
    """Push every heading down `levels` levels (for pages inlined into the single file)."""
    return re.sub(r"^(#+) ", lambda m: "#" * (len(m.group(1)) + levels) + " ", markdown, flags=re.M)


def _content(content: Mapping[str, str], path: str) -> str:
    if path not in content:
        raise GenerateError("hand-written runbook content is missing", path=f"runbooks/{path}")
    return content[path]


def _queries(alert: Alert, service: Service) -> list[tuple[str, str]]:
    """(title, PromQL) pairs a responder runs first, the alert's own expression first."""
    queries = [("Alert expression", expression(alert, service))]
    expr = alert.expr
    if isinstance(expr, Threshold):
        slo = service.slo(expr.slo)
        queries.append((f"{slo.title} (SLI)", slo.query()))
    elif isinstance(expr, BurnRate):
        slo = service.slo(expr.slo)
        tier = slo.tier(expr.tier)
        for window in (tier.long, tier.short):
            queries.append(
                (f"Failed-task ratio over {prom_duration(window)}", error_ratio_record(slo, window))
            )
    return queries


def _alert_view(
    alert: Alert, service: Service, env: Environment, content: Mapping[str, str]
) -> dict[str, Any]:
    hand = parse_sections(_content(content, alert.page), f"runbooks/{alert.page}")
    missing = [s for s in ALERT_SECTIONS if not hand.get(s)]
    if missing:
        raise GenerateError(
            f"missing sections {missing} (need ## {', ## '.join(ALERT_SECTIONS)})",
            path=f"runbooks/{alert.page}",
        )
    level = next(p for p in service.priorities if p.priority == alert.priority)
    section = next(s for s in service.sections if s.anchor == alert.section)
    return {
        "alert": alert,
        "notes": alert_annotations(alert, service, env),
        "expr": expression(alert, service),
        "for": prom_duration(alert.for_),
        "queries": _queries(alert, service),
        "origin_note": origin_note(alert, service),
        "hand": hand,
        "policies": service.policies(alert.name),
        "command": remediation_command(alert, service),
        "level": level,
        "section": section,
        "escalation": [
            s for s in service.escalation if not s.p0_only or alert.priority.value == "P0"
        ],
    }


def alert_page(alert: Alert, service: Service, env: Environment, content: Mapping[str, str]) -> str:
    view = _alert_view(alert, service, env, content)
    return _templates().get_template("alert.md.j2").render(**view, runbook=RUNBOOK_PAGE)


def action_pages(content: Mapping[str, str]) -> dict[str, str]:
    """The hand-written pages of the remediation actions (`runbooks/actions/*.md`), as is."""
    return {key: text for key, text in sorted(content.items()) if key.startswith("actions/")}


def notice_pages(content: Mapping[str, str]) -> dict[str, str]:
    """The pages of the remediator's notices (`notices/<alertname>.md`): sre's own, shipped
    with it, unless `runbooks/notices/` has the service's version of one."""
    folder = resources.files("sre.generate").joinpath("templates", "notices")
    pages = {f"notices/{p.name}": p.read_text(encoding="utf-8") for p in folder.iterdir()}
    return {key: content.get(key, text) for key, text in sorted(pages.items())}


def _title(text: str, key: str) -> str:
    first = next((line for line in text.splitlines() if line.startswith("# ")), "")
    return first.removeprefix("# ").strip() or Path(key).stem


def runbook_site(service: Service, env: Environment, content: Mapping[str, str]) -> dict[str, Any]:
    """Path -> Markdown text (and `mkdocs.yml` -> its config dict)."""
    views = [_alert_view(a, service, env, content) for a in service.alerts]
    procedures = [(p, _content(content, p.page)) for p in service.procedures]
    actions = action_pages(content)
    common = {
        "tiers": {slo.name: tier_rows(service, slo) for slo in service.slos},
        "service": service,
        "env": env,
        "runbook": RUNBOOK_PAGE,
        "views": views,
        "procedures": procedures,
        "actions": [(key, _title(text, key)) for key, text in actions.items()],
    }
    t = _templates()
    pages: dict[str, str] = dict(actions)
    if service.remediation:  # the remediator's notices link here
        pages.update(notice_pages(content))
    single = t.get_template("runbook.md.j2").render(
        **common, demote=demote, human_duration=human_duration
    )
    pages[RUNBOOK_PAGE] = single
    pages["index.md"] = t.get_template("index.md.j2").render(**common)
    for view in views:
        pages[f"alerts/{view['alert'].name}.md"] = t.get_template("alert.md.j2").render(
            **view, runbook=RUNBOOK_PAGE
        )
    for procedure, text in procedures:
        pages[procedure.page] = t.get_template("procedure.md.j2").render(
            procedure=procedure, text=text.strip(), service=service, runbook=RUNBOOK_PAGE
        )
    site = {service.site_page(page): text for page, text in pages.items()}
    out: dict[str, Any] = {f"{SITE_DIR}/{page}": text for page, text in site.items()}
    out[service.runbook_file] = single
    out[MKDOCS_FILE] = mkdocs_config(site, env.site_url)
    out[SITE_INDEX] = site_index(site)
    return out
