"""The docs site: one self-contained page, served alone on 127.0.0.1, complete, and private.

The site is generated once for the module (`dbt docs generate --static`, as `make docs` does)
over the warehouse the reference build already made. A real headless Chromium (Debian's
package, driven by Playwright) then loads it from scripts/serve_docs.py, finds the marts and
the notifier exposure, opens the lineage of `expiring_accreditations` and records every network
request: all of them must go to the local server. Screenshots and the request log land in
test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from dbt_testing import CHALLENGE_SAMPLE, DBT, MART_TABLES, REPO_ROOT, DbtRun, dbt_env

SAMPLE = CHALLENGE_SAMPLE  # the reference build: shared, not rebuilt
AS_OF = "2025-01-15"
PROJECT = "accreditation_monitor"
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# Written by `make chromium` when apt-get could not install the browser.
CHROMIUM_INSTALL_FAILED = ARTIFACTS / "chromium-install-failed.log"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
EXPOSURE_LABEL = "Expiry notifier (Amazon SNS)"
# The version the notifier reads (the latest).
MODEL_ROUTE = f"#!/model/model.{PROJECT}.expiring_accreditations.v3"
# The cytoscape instance behind the lineage graph: its visible nodes and edges, by label.
VISIBLE_GRAPH = """() => {
    const container = document.getElementById('cy');
    const cy = container && container._cyreg && container._cyreg.cy;
    if (!cy || cy.nodes().length === 0) return null;
    const label = (node) => node.data('label');
    return {
        nodes: cy.nodes().filter((n) => n.visible()).map((n) => [n.id(), label(n)]),
        edges: cy.edges().filter((e) => e.visible())
            .map((e) => [label(e.source()), label(e.target())]),
    };
}"""


@dataclass
class DocsSite:
    page: Path  # target/static_index.html of the generate run
    target_path: Path
    manifest: dict[str, Any]
    catalog: dict[str, Any]
    generate_seconds: float
    reparsed: bool  # whether dbt had to parse the project again (it should reuse the build's)


@pytest.fixture(scope="module")
def docs_site(
    dbt_build: Callable[..., DbtRun], tmp_path_factory: pytest.TempPathFactory
) -> DocsSite:
    build = dbt_build(SAMPLE, AS_OF)
    workdir = build.duckdb_path.parent
    target = tmp_path_factory.mktemp("dbt_docs") / "target"
    target.mkdir()
    # Same project, vars and profile as the build: dbt reuses its parse instead of redoing it.
    shutil.copy(build.target_path / "partial_parse.msgpack", target)
    started = time.perf_counter()
    completed = subprocess.run(
        [
            DBT,
            "docs",
            "generate",
            "--static",
            "--target",
            "local",
            "--target-path",
            str(target),
            "--vars",
            json.dumps({"as_of_date": AS_OF}),
        ],
        cwd=REPO_ROOT,
        env=dbt_env(
            FACILITIES_PATH=str(SAMPLE),
            DUCKDB_PATH=str(build.duckdb_path),
            DBT_LOG_PATH=str(workdir / "logs"),
            DUCKDB_TEMP_DIR=str(workdir / "duckdb_tmp"),
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-4000:]
    return DocsSite(
        page=target / "static_index.html",
        target_path=target,
        manifest=json.loads((target / "manifest.json").read_text()),
        catalog=json.loads((target / "catalog.json").read_text()),
        generate_seconds=seconds,
        reparsed="Unable to do partial parsing" in completed.stdout,
    )


@contextmanager
def serving(page: Path) -> Iterator[str]:
    """scripts/serve_docs.py on a free port, as `make docs` runs it; yields its URL."""
    script = REPO_ROOT / "scripts" / "serve_docs.py"
    server = subprocess.Popen(
        [sys.executable, str(script), "--file", str(page), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def fetch(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# ---- the generated page ---------------------------------------------------------------------


def test_the_page_is_one_self_contained_file_without_usage_tracking(docs_site: DocsSite) -> None:
    html = docs_site.page.read_text()
    assert docs_site.manifest["metadata"]["send_anonymous_usage_stats"] is False
    assert '"send_anonymous_usage_stats": false' in html
    assert '"send_anonymous_usage_stats": true' not in html
    # Manifest and catalog are inlined: the page fetches no JSON and loads no remote script.
    assert f'"project_name": "{PROJECT}"' in html and '"nodes"' in html
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", html)


def test_every_column_in_the_warehouse_is_documented(docs_site: DocsSite) -> None:
    """The catalog lists the columns the tables really have; each one has a description."""
    undocumented = []
    for unique_id, entry in docs_site.catalog["nodes"].items():
        node = docs_site.manifest["nodes"][unique_id]
        if node["package_name"] != PROJECT or node["resource_type"] not in {"model", "seed"}:
            continue
        documented = {
            name.lower()
            for name, column in node["columns"].items()
            if column["description"].strip()
        }
        undocumented += [
            f"{unique_id}.{name}" for name in entry["columns"] if name.lower() not in documented
        ]
    assert len(docs_site.catalog["nodes"]) >= 15
    assert undocumented == []


# ---- the server ------------------------------------------------------------------------------


def test_the_server_serves_the_page_and_nothing_else(docs_site: DocsSite) -> None:
    page = docs_site.page.read_bytes()
    with serving(docs_site.page) as url:
        for path in ["", "index.html", "?x=1"]:
            status, headers, body = fetch(url + path)
            assert (status, body) == (200, page), path
            assert headers["Content-Type"] == "text/html; charset=utf-8"
            assert "default-src 'self'" in headers["Content-Security-Policy"]
        status, _, body = fetch(url, method="HEAD")
        assert (status, body) == (200, b"")
        # What `dbt docs serve` would hand out: the target folder, the database, the project.
        for path in [
            "static_index.html",
            "manifest.json",
            "catalog.json",
            "run_results.json",
            "accreditation_monitor.duckdb",
            "target/accreditation_monitor.duckdb",
            "../profiles.yml",
            "%2e%2e/profiles.yml",
            "index.html/..",
            "/etc/passwd",
        ]:
            status, _, body = fetch(url + path)
            assert status == 404, path
            assert page[:200] not in body
        status, _, _ = fetch(url, method="POST")
        assert status == 501


def test_the_server_listens_on_loopback_only() -> None:
    source = (REPO_ROOT / "scripts" / "serve_docs.py").read_text()
    assert 'HOST = "127.0.0.1"' in source
    assert "ThreadingHTTPServer((HOST," in source


# ---- the page in a real browser --------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if CHROMIUM_INSTALL_FAILED.exists():
        log = CHROMIUM_INSTALL_FAILED.read_text()[-600:]
        pytest.skip(
            f"Chromium could not be installed by apt-get ({CHROMIUM_INSTALL_FAILED}): {log}"
        )
    pytest.fail(
        f"Chromium not found at {CHROMIUM}: run `make chromium` (`make test` does it first), "
        "or `apt-get install -y chromium`."
    )


BROWSER_TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    """One headless Chromium for the module (playwright.sync_api.Browser)."""
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        BROWSER_TIMINGS["launch_seconds"] = time.perf_counter() - started
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Browsing:
    page: Any  # playwright.sync_api.Page
    requests: list[str]
    failures: dict[str, str]  # url -> why it failed ('csp' when the server's policy blocked it)


@contextmanager
def browsing(browser: Any) -> Iterator[Browsing]:
    """A fresh page that records every request and lets none leave 127.0.0.1."""
    from playwright.sync_api import Route

    requests: list[str] = []
    failures: dict[str, str] = {}

    def guard(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    # The page runs under the server's Content-Security-Policy, as users get it. A request the
    # policy blocks is still reported (failure 'csp'), so what the page asks for is recorded.
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        context.route("**/*", guard)
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.on(
            "requestfailed",
            lambda request: failures.setdefault(request.url, request.failure or ""),
        )
        yield Browsing(page, requests, failures)
    finally:
        context.close()


def graph_labels(graph: dict[str, Any], kinds: tuple[str, ...]) -> set[str]:
    return {label for unique_id, label in graph["nodes"] if unique_id.startswith(kinds)}


@pytest.mark.browser
def test_the_page_in_chromium_shows_the_marts_the_exposure_and_the_lineage(
    docs_site: DocsSite, browser: Any
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    started = time.perf_counter()
    with serving(docs_site.page) as url, browsing(browser) as browsing_:
        page = browsing_.page
        launched = time.perf_counter()
        # The versioned model's page with the full lineage graph open, as a fresh load.
        page.goto(url + MODEL_ROUTE + "?g_v=1", wait_until="load")
        page.wait_for_function(
            "names => names.every((name) => document.body.textContent.includes(name))",
            arg=list(MART_TABLES),
        )
        loaded = time.perf_counter()
        text = page.evaluate("document.body.textContent")
        assert "One row per current accreditation expiring by the horizon" in text

        page.wait_for_function(VISIBLE_GRAPH)
        graph_ready = time.perf_counter()
        graph = page.evaluate(VISIBLE_GRAPH)
        shown = graph_labels(graph, ("model.", "source.", "exposure."))
        assert {
            "facility_files.facility_lines",
            "base_facility_lines",
            "base_facility_records",
            "stg_facilities",
            "stg_accreditations",
            "rejected_records",
            "rejected_accreditations",
            "load_audit",
            EXPOSURE_LABEL,
            *MART_TABLES,
        } <= shown
        edges = {tuple(edge) for edge in graph["edges"]}
        for edge in [
            ("facility_files.facility_lines", "base_facility_lines"),
            ("base_facility_lines", "base_facility_records"),
            ("base_facility_records", "rejected_records"),
            ("base_facility_lines", "rejected_records"),
            ("stg_accreditations", "rejected_accreditations"),
            ("stg_accreditations", "current_accreditations"),
            ("current_accreditations", "expiring_accreditations_v2"),
            ("current_accreditations", "expiring_accreditations_v3"),
            ("alert_owners", "expiring_accreditations_v3"),
            ("alert_acknowledgements", "expiring_accreditations_v3"),
            ("expiring_accreditations_v3", EXPOSURE_LABEL),
            ("current_accreditations", EXPOSURE_LABEL),
        ]:
            assert edge in edges, edge
        page.screenshot(path=ARTIFACTS / "docs_full_lineage.png")

        # Narrowed to the lineage of expiring_accreditations v3: raw files, the state codes (state
        # names become codes) and the alert seeds to the notifier.
        page.fill(
            "input[ng-model='selectorService.selection.dirty.include']",
            "+expiring_accreditations.v3+",
        )
        page.click("#submit-graph-selection")
        page.wait_for_function(f"() => ({VISIBLE_GRAPH})().nodes.length < {len(graph['nodes'])}")
        page.wait_for_timeout(300)  # the layout animation, for the screenshot
        lineage = page.evaluate(VISIBLE_GRAPH)
        assert graph_labels(lineage, ("model.", "source.", "exposure.", "seed.")) == {
            "facility_files.facility_lines",
            "base_facility_lines",
            "base_facility_records",
            "stg_facilities",
            "usps_state_codes",
            "stg_accreditations",
            "current_accreditations",
            "alert_owners",
            "alert_acknowledgements",
            "expiring_accreditations_v3",
            EXPOSURE_LABEL,
        }
        page.screenshot(path=ARTIFACTS / "docs_lineage_expiring_accreditations.png")

        # The exposure's own page: what the notifier is, who owns it, what it reads.
        page.goto(url + f"#!/exposure/exposure.{PROJECT}.notifier")
        page.wait_for_function(
            "label => document.body.textContent.includes(label)", arg=EXPOSURE_LABEL
        )
        text = page.evaluate("document.body.textContent").lower()
        for expected in ["application", "accreditation monitoring team", "expiring_accreditations"]:
            assert expected in text, expected

        requests = list(browsing_.requests)
    total_seconds = time.perf_counter() - started

    port = urlsplit(url).port
    outside = [
        r for r in requests if (urlsplit(r).hostname, urlsplit(r).port) != ("127.0.0.1", port)
    ]
    (ARTIFACTS / "docs_requests.json").write_text(
        json.dumps(
            {
                "requests": requests,
                "outside_requests": outside,
                "browser_launch_seconds": round(BROWSER_TIMINGS["launch_seconds"], 2),
                "server_start_seconds": round(launched - started, 2),
                "page_load_seconds": round(loaded - launched, 2),
                "lineage_graph_ready_seconds": round(graph_ready - launched, 2),
                "page_test_seconds": round(total_seconds, 2),
                "docs_generate_seconds": round(docs_site.generate_seconds, 2),
                "docs_generate_reparsed": docs_site.reparsed,
            },
            indent=2,
        )
    )
    assert requests and requests[0] == url
    assert outside == []


@pytest.mark.browser
def test_the_request_check_would_catch_the_usage_tracker(
    docs_site: DocsSite, browser: Any, tmp_path: Path
) -> None:
    """Control: the same page with tracking switched on reaches out, the check sees it, and the
    server's Content-Security-Policy is what stops it."""
    tracked = tmp_path / "tracked.html"
    html = docs_site.page.read_text()
    tracked.write_text(
        html.replace('"send_anonymous_usage_stats": false', '"send_anonymous_usage_stats": true')
    )
    with serving(tracked) as url, browsing(browser) as browsing_:
        browsing_.page.goto(url, wait_until="load")
        browsing_.page.wait_for_function(
            "() => document.body.textContent.includes('accreditation_monitor')"
        )
        for _ in range(50):  # the tracker script is requested right after start-up
            if any(urlsplit(r).hostname != "127.0.0.1" for r in browsing_.requests):
                break
            browsing_.page.wait_for_timeout(100)
        requests = list(browsing_.requests)
        failures = dict(browsing_.failures)
    outside = [r for r in requests if urlsplit(r).hostname != "127.0.0.1"]
    assert outside, requests
    assert all(failures.get(r) == "csp" for r in outside), failures
