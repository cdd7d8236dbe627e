"""The runbook site as an on-call reader sees it: every alert's runbook_url, opened in headless
Chromium from the built site served on 127.0.0.1, lands on an anchor that exists and shows the
alert's expression and its remediation command."""

from __future__ import annotations

import functools
import importlib.util
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.service import SERVICE
from sre.check.rules import load_alert_rules
from sre.check.site import build_site
from sre.cli.generate import read_content, render, write
from sre.generate.expressions import remediation_command
from tests.support.components import require

REPO = Path(__file__).resolve().parents[3]
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1600",
)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    require("mkdocs", importlib.util.find_spec("mkdocs") is not None, "pip install mkdocs-material")
    root = tmp_path / "repo"
    write(root, render("pipeline.service:SERVICE", "prod", read_content(REPO / "runbooks")))
    assert build_site(root, root / "site") == []
    handler = functools.partial(_Quiet, directory=str(root / "site"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    require(
        "Chromium",
        chromium is not None and driver_path is not None,
        "install the Debian packages chromium and chromium-driver",
    )
    require("selenium", importlib.util.find_spec("selenium") is not None, "pip install selenium")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    driver = webdriver.Chrome(service=Service(executable_path=str(driver_path)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_every_runbook_url_opens_on_its_anchor_with_expression_and_command(
    served_site: tuple[str, Path], browser: object, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(browser, WebDriver)
    base, root = served_site
    env = SERVICE.environment("prod")
    resolved = SERVICE.resolved(env)
    commands = {a.name: remediation_command(a, resolved) for a in resolved.alerts}
    rules = load_alert_rules(root)
    assert {r.name for r in rules} == set(commands)
    for rule in rules:
        target = env.site_target(
            rule.annotations["runbook_url"], {SERVICE.runbook_file: SERVICE.site_page("runbook.md")}
        )
        assert target is not None, rule.annotations["runbook_url"]
        page, anchor = target
        browser.get(f"{base}{page.removesuffix('index.html')}#{anchor}")
        heading = browser.find_element(By.ID, anchor)
        assert heading.is_displayed()
        text = browser.execute_script("return document.body.textContent")
        assert rule.expr in text, rule.name
        assert commands[rule.name] in text, rule.name
    browser.get(f"{base}potato-pipeline/alerts/PipelineDataStale/")
    assert "PipelineDataStale" in browser.title
    shot = tmp_path / "runbook-PipelineDataStale.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
