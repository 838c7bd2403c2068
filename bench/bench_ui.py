"""Time to network idle of the projects page, in Debian's Chromium driven by Playwright, against
gunicorn serving the built UI (WhiteNoise) and the API.

"Network idle" is when the last request the page made has finished: the latest ``responseEnd``
of the navigation and of every resource and fetch (the browser's Resource Timing), measured from
the navigation's start. Playwright waits for 500 ms of quiet to know the page is done; that
quiet window is not counted. Each load is a fresh browser context (cold cache: every script is
downloaded), then the same page again in that context (warm cache). The baseline, in the same
run and the same way: the login page (the app shell and one API call, no project data).

Runs on loopback: gunicorn gthread (2 workers x 4 threads) on a free port, the configured
PostgreSQL (a `<db>_uibench` database, migrated on first use) and Redis (logical db 14). Needs the
built UI (`cd frontend && npm run build`).

    python -m bench ui [--loads 7] [--projects 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from typing import Any

from bench.common import REPO, bench_env, free_port, prepare_database, run_django, start_gunicorn, stop

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
#: a throwaway user in the benchmark's own database
PASSWORD = "bench-ui-password-1"

#: the moment the network went quiet, relative to the navigation start (ms), and the bytes moved
IDLE_SCRIPT = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  const ends = [nav.responseEnd, ...resources.map((r) => r.responseEnd)];
  const bytes = [nav, ...resources].reduce((sum, r) => sum + (r.transferSize || 0), 0);
  return { idle_ms: Math.max(...ends), requests: resources.length + 1, bytes };
}"""


def prepare(env: dict[str, str], projects: int) -> None:
    prepare_database(env)
    script = (
        "from django.contrib.auth import get_user_model\n"
        "from shipyard.accounts.models import Membership, Team\n"
        "from shipyard.projects.models import Project\n"
        "team, _ = Team.objects.get_or_create(slug='bench-ui', defaults={'name': 'Bench UI'})\n"
        "user, _ = get_user_model().objects.get_or_create(username='bench-ui')\n"
        f"user.set_password({PASSWORD!r}); user.save()\n"
        "Membership.objects.get_or_create(team=team, user=user, defaults={'role': 'admin'})\n"
        f"for i in range({projects}):\n"
        "    Project.objects.get_or_create(slug=f'bench-ui-{i:03d}', defaults={'team': team, 'name': f'Bench project {i}'})\n"
        "print('ok')\n"
    )
    run_django(env, script)


def load(browser: Any, base: str, path: str, *, signed_in: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """(cold, warm) measurements of one page in a fresh context."""
    context = browser.new_context(base_url=base, viewport={"width": 1440, "height": 900})
    context.add_init_script("localStorage.setItem('shipyard.team', 'bench-ui')")
    page = context.new_page()
    try:
        if signed_in:
            page.goto("/login", wait_until="networkidle")
            page.fill("input[name=username]", "bench-ui")
            page.fill("input[name=password]", PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{base}/projects")
            page.wait_for_load_state("networkidle")
            # a cold start for the measured load: a new tab in a context with the session, empty cache
            cookies = context.cookies()
            page.close()
            context.close()
            context = browser.new_context(base_url=base, viewport={"width": 1440, "height": 900})
            context.add_cookies(cookies)
            context.add_init_script("localStorage.setItem('shipyard.team', 'bench-ui')")
            page = context.new_page()
        page.goto(path, wait_until="networkidle")
        cold = page.evaluate(IDLE_SCRIPT)
        if signed_in:  # the measured page is the project list, not a redirect to the login
            page.get_by_text("Bench project 0", exact=True).wait_for()
        page.goto(path, wait_until="networkidle")
        warm = page.evaluate(IDLE_SCRIPT)
        return cold, warm
    finally:
        context.close()


def summary(rows: list[dict[str, Any]]) -> dict[str, float]:
    idle = [r["idle_ms"] for r in rows]
    return {
        "median_ms": statistics.median(idle),
        "max_ms": max(idle),
        "requests": statistics.median(r["requests"] for r in rows),
        "kb": statistics.median(r["bytes"] for r in rows) / 1024,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench ui")
    parser.add_argument("--loads", type=int, default=7)
    parser.add_argument("--projects", type=int, default=30)
    args = parser.parse_args(argv)
    if not (REPO / "frontend" / "dist" / "index.html").exists():
        print("build the UI first: cd frontend && npm run build", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    env = bench_env("uibench")
    prepare(env, args.projects)
    port = free_port()
    server = start_gunicorn(env, port, workers=2, threads=4)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
            )
            load(browser, base, "/projects", signed_in=True)  # warm-up: server caches, first imports
            for name, path, signed_in in (
                ("login page (baseline)", "/login", False),
                ("projects page", "/projects", True),
            ):
                cold_rows, warm_rows = [], []
                for _ in range(args.loads):
                    cold, warm = load(browser, base, path, signed_in=signed_in)
                    cold_rows.append(cold)
                    warm_rows.append(warm)
                results[name] = {"cold": cold_rows, "warm": warm_rows}
            browser.close()
    finally:
        stop(server)

    baseline = {k: summary(v)["median_ms"] for k, v in results["login page (baseline)"].items()}
    print(f"{args.loads} loads each, {args.projects} projects; time to network idle from navigation start")
    print(f"{'page':<24}{'cache':<7}{'median':>10}{'max':>10}{'requests':>10}{'transfer':>12}{'vs login':>10}")
    for name, runs in results.items():
        for cache, rows in runs.items():
            s = summary(rows)
            ratio = s["median_ms"] / baseline[cache] if baseline[cache] else float("nan")
            print(
                f"{name:<24}{cache:<7}{s['median_ms']:>8.0f}ms{s['max_ms']:>8.0f}ms{s['requests']:>10.0f}"
                f"{s['kb']:>9.0f} KB{ratio:>9.2f}x"
            )
    projects_cold = summary(results["projects page"]["cold"])["median_ms"]
    print(f"projects page, cold cache: {projects_cold / 1000:.2f} s to network idle (bar: 1.5 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
