"""Runbook integrity: every alert has a page, every runbook_url resolves to an anchor of the
built site, and each page shows the alert's expression, `for` and severity as the rule file
has them (a threshold changed in one place only is caught here)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from sre.check.problem import Problem
from sre.check.rules import AlertRule
from sre.generate.site import SITE_DIR
from sre.spec.environment import RUNBOOK_PAGE, Environment
from sre.spec.service import Service

__all__ = ["check_runbooks", "html_ids"]

CHECK = "runbook"


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids |= {value for name, value in attrs if name == "id" and value}


def html_ids(path: Path) -> set[str]:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.ids


def _dashboard_panels(root: Path) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for path in sorted((root / "dashboards").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        out[doc.get("uid", "")] = {p.get("id") for p in doc.get("panels", [])}
    return out


def _page_problems(rule: AlertRule, root: Path, page: str) -> list[Problem]:
    path = root / page
    if not path.is_file():
        return [Problem(CHECK, rule.name, f"no page {page}")]
    text = path.read_text(encoding="utf-8")
    problems = []
    if rule.expr not in text:
        problems.append(
            Problem(
                CHECK,
                rule.name,
                f"expression in {rule.file} `{rule.expr}` is not the one on {page}",
            )
        )
    if f"`{rule.for_}`" not in text:
        problems.append(
            Problem(CHECK, rule.name, f"for `{rule.for_}` in {rule.file} is not on {page}")
        )
    severity = rule.labels.get("severity", "")
    if f"`{severity}`" not in text:
        problems.append(
            Problem(CHECK, rule.name, f"severity `{severity}` in {rule.file} is not on {page}")
        )
    return problems


def check_runbooks(
    root: Path, rules: list[AlertRule], service: Service, env: Environment, site_dir: Path | None
) -> list[Problem]:
    """`site_dir` is the built site; None skips the checks that need it. Pages are the
    service's own, in its folder of the tree's site."""
    problems: list[Problem] = []
    panels = _dashboard_panels(root)
    ids_cache: dict[Path, set[str]] = {}
    single = service.site_page(RUNBOOK_PAGE)
    for rule in rules:
        problems += _page_problems(
            rule, root, f"{SITE_DIR}/{service.site_page(f'alerts/{rule.name}.md')}"
        )
        problems += _page_problems(rule, root, service.runbook_file)
        url = rule.annotations.get("runbook_url", "")
        if rule.annotations.get("runbook") != url:
            problems.append(Problem(CHECK, rule.name, "annotations runbook and runbook_url differ"))
        target = env.site_target(url, {service.runbook_file: single})
        if target is None:
            problems.append(
                Problem(
                    CHECK, rule.name, f"runbook_url {url!r} is not under {env.runbook_base_url}"
                )
            )
        elif site_dir is not None:
            html = site_dir / target[0]
            if not html.is_file():
                problems.append(
                    Problem(
                        CHECK,
                        rule.name,
                        f"runbook_url {url} has no page {target[0]} in the built site",
                    )
                )
            else:
                ids = ids_cache.setdefault(html, html_ids(html))
                if target[1] not in ids:
                    problems.append(
                        Problem(
                            CHECK,
                            rule.name,
                            f"runbook_url {url}: no anchor #{target[1]} in {target[0]}",
                        )
                    )
        built = site_dir / service.name / "alerts" / rule.name if site_dir else None
        if built is not None and not (built / "index.html").is_file():
            problems.append(Problem(CHECK, rule.name, "no alert page in the built site"))
        problems += _dashboard_problems(rule, panels)
    return problems


def _dashboard_problems(rule: AlertRule, panels: dict[str, set[int]]) -> list[Problem]:
    url = rule.annotations.get("dashboard_url", "")
    if "/d/" not in url:
        return [Problem(CHECK, rule.name, f"dashboard_url {url!r} names no dashboard")]
    uid = url.split("/d/", 1)[1].split("/", 1)[0].split("?", 1)[0]
    if uid not in panels:
        return [
            Problem(
                CHECK, rule.name, f"dashboard_url names dashboard {uid!r}, which does not exist"
            )
        ]
    if "viewPanel=" in url:
        panel = url.rsplit("viewPanel=", 1)[1]
        if not panel.isdigit() or int(panel) not in panels[uid]:
            return [
                Problem(CHECK, rule.name, f"dashboard_url names panel {panel} that {uid} lacks")
            ]
    return []
