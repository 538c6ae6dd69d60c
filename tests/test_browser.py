"""The report in a real headless browser (Debian's chromium): no console errors, every section shown,
a screenshot to look at. Driven over the DevTools protocol (websockets), no network."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from imu_logger.cli import cli
from imu_logger.report.html import SECTIONS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = Path(os.environ.get("REPORT_SCREENSHOT", "/tmp/imu-logger-report.png"))

pytestmark = [pytest.mark.slow,  # a simulated day, its report, and a real browser
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                 "(apt-get install chromium): the browser test needs a real browser")]


async def _drive(ws_url: str, url: str) -> dict:
    import websockets

    async with websockets.connect(ws_url, max_size=None) as ws:
        ids = iter(range(1, 10_000))
        errors: list[str] = []

        async def call(method: str, **params):
            my = next(ids)
            await ws.send(json.dumps({"id": my, "method": method, "params": params}))
            while True:
                msg = json.loads(await ws.recv())
                if msg.get("method") == "Runtime.exceptionThrown":
                    errors.append(msg["params"]["exceptionDetails"].get("text", "exception"))
                elif msg.get("method") == "Runtime.consoleAPICalled" and msg["params"]["type"] in ("error", "assert"):
                    errors.append(json.dumps(msg["params"]["args"])[:200])
                elif msg.get("method") == "Log.entryAdded" and msg["params"]["entry"]["level"] == "error":
                    errors.append(msg["params"]["entry"].get("text", ""))
                if msg.get("id") == my:
                    return msg.get("result", {})

        await call("Runtime.enable")
        await call("Log.enable")
        await call("Page.enable")
        await call("Emulation.setDeviceMetricsOverride", width=1200, height=900, deviceScaleFactor=1,
                   mobile=False)
        await call("Page.navigate", url=url)
        for _ in range(100):
            state = await call("Runtime.evaluate", expression="document.readyState", returnByValue=True)
            if state["result"]["value"] == "complete":
                break
            await asyncio.sleep(0.05)
        probe = """JSON.stringify(Array.from(document.querySelectorAll('main > section')).map(s => {
            const r = s.getBoundingClientRect(); const st = getComputedStyle(s);
            return {id: s.id, h: r.height, w: r.width, visible: st.display !== 'none' && st.visibility !== 'hidden',
                    svgs: Array.from(s.querySelectorAll('svg')).filter(v => v.getBoundingClientRect().width > 50).length};
        }))"""
        sections = json.loads((await call("Runtime.evaluate", expression=probe, returnByValue=True))["result"]["value"])
        # the bout zoom works: choosing a bout changes the timeline's viewBox, the whole day restores it
        zoom = """(() => { const s = document.querySelector('svg[data-zoom]'); const before = s.getAttribute('viewBox');
            const z = document.getElementById('bout-zoom'); if (!z || z.options.length < 2) return 'no bout';
            z.selectedIndex = 1; z.dispatchEvent(new Event('change')); const zoomed = s.getAttribute('viewBox');
            z.selectedIndex = 0; z.dispatchEvent(new Event('change'));
            return JSON.stringify([before, zoomed, s.getAttribute('viewBox')]); })()"""
        zoomed = (await call("Runtime.evaluate", expression=zoom, returnByValue=True))["result"]["value"]
        # layout as rendered: every chart's title inside its chart and clear of its legend; charts use the
        # page; the quality line opens the summary
        layout = """JSON.stringify({
            charts: Array.from(document.querySelectorAll('main svg')).map(v => {
                const box = v.getBoundingClientRect(); const texts = Array.from(v.querySelectorAll('text'));
                const title = texts.find(t => t.getAttribute('font-weight') === 'bold');
                const legend = texts.filter(t => t.previousElementSibling && t.previousElementSibling.tagName === 'rect'
                    && t.previousElementSibling.getAttribute('height') === '10');
                const tb = title ? title.getBoundingClientRect() : null;
                const overlap = tb ? legend.some(t => { const r = t.getBoundingClientRect();
                    return r.left < tb.right && tb.left < r.right && r.top < tb.bottom && tb.top < r.bottom; }) : false;
                return {w: box.width, clipped: tb ? (tb.left < box.left - 1 || tb.right > box.right + 1) : false,
                        overlap: overlap, title: title ? title.textContent : ''}; }),
            page: document.querySelector('main').getBoundingClientRect().width,
            firstInSummary: document.querySelector('#verdict h2 + *').id,
            boutButtons: document.querySelectorAll('button[data-bout]').length})"""
        laid = json.loads((await call("Runtime.evaluate", expression=layout, returnByValue=True))["result"]["value"])
        height = (await call("Runtime.evaluate", expression="document.documentElement.scrollHeight",
                             returnByValue=True))["result"]["value"]
        shot = await call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": 1200, "height": min(int(height), 7000), "scale": 1})
        await asyncio.sleep(0.2)
        return {"errors": errors, "sections": sections, "zoom": zoomed, "layout": laid,
                "png": base64.b64decode(shot["data"])}


def test_report_renders_in_headless_chromium(tmp_path, make_results):
    rec, res = make_results(tmp_path / "day", stiff_side="left", seed=0)
    html = tmp_path / "report.html"
    r = CliRunner().invoke(cli, ["report", str(res), "--out", str(html)])
    assert r.exit_code == 0, r.output
    profile = tmp_path / "profile"
    proc = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.is_file() or len(port_file.read_text().splitlines()) < 2:
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            assert proc.poll() is None, "chromium exited at start"
            time.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        import urllib.request
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page = next(t for t in targets if t["type"] == "page")
        out = asyncio.run(_drive(page["webSocketDebuggerUrl"], html.as_uri()))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert out["errors"] == []
    shown = {s["id"]: s for s in out["sections"]}
    assert list(shown) == [k for k, _ in SECTIONS]
    for key, s in shown.items():
        assert s["visible"] and s["h"] > 40 and s["w"] > 600, key
    for key in ("timeline", "cycle", "distributions", "trends"):
        assert shown[key]["svgs"] >= 1, key
    before, zoomed, after = json.loads(out["zoom"])
    assert zoomed != before and after == before
    laid = out["layout"]
    assert laid["firstInSummary"] == "quality-line" and laid["boutButtons"] == 0
    titled = [c for c in laid["charts"] if c["title"]]
    assert len(titled) >= 15
    assert not [c["title"] for c in titled if c["clipped"] or c["overlap"]]
    widest = max(c["w"] for c in laid["charts"])
    assert widest >= 0.95 * min(laid["page"] - 60, 1050)  # the timeline spans the page
    SCREENSHOT.write_bytes(out["png"])
    assert out["png"][:8] == b"\x89PNG\r\n\x1a\n" and len(out["png"]) > 50_000
