"""Load an HTML file in Debian's headless chromium, offline, and read what a person would see.

The browser is the apt package ``chromium`` and its driver ``chromium-driver`` (``.ci/run`` installs
both), driven by selenium with the system chromedriver: nothing is downloaded at run time. The page is
opened from a ``file://`` URL with the network emulated offline, DNS mapped to nowhere and Chrome's
background networking off; the browser's console log and the DevTools network log are collected.

Also a script: ``python -m tests.reports.browser PAGE.html OUT.png [--colours N]`` saves a full-page
screenshot, with ``--colours`` reduced to N colours (Pillow) to keep it small; ``docs/img/report.png`` is
``--colours 256`` of the acceptance command's page.
"""

from __future__ import annotations

import base64
import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
WIDTH, HEIGHT = 1280, 1000
FLAGS = ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--hide-scrollbars",
         f"--window-size={WIDTH},{HEIGHT}", "--force-device-scale-factor=1", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND")


def available() -> bool:
    """Whether chromium and chromedriver are on PATH."""
    return CHROMIUM is not None and CHROMEDRIVER is not None


@contextmanager
def chromium() -> Iterator[webdriver.Chrome]:
    """A headless chromium session with console and network logging, the network offline."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        raise RuntimeError("chromium and chromedriver are needed: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions",
                               {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        yield driver
    finally:
        driver.quit()


@dataclass(frozen=True)
class Loaded:
    """What loading a page showed: console entries, requested and failed URLs, element sizes."""

    console: list[dict[str, Any]]
    requests: list[str]
    failed: list[str]
    sections: dict[str, tuple[float, float]]
    figures: list[tuple[float, float]]


def load(driver: webdriver.Chrome, page: Path) -> Loaded:
    """Open ``page`` and collect its console log, its network requests and its sections' sizes."""
    driver.get(page.resolve().as_uri())
    console = driver.get_log("browser")
    requests: list[str] = []
    failed: list[str] = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requests.append(message["params"]["request"]["url"])
        elif message["method"] == "Network.loadingFailed":
            failed.append(f"{message['params'].get('requestId')}: {message['params'].get('errorText')}")
    sections = {}
    for element in driver.find_elements(By.CSS_SELECTOR, "section"):
        rect = element.rect
        sections[element.get_attribute("id") or ""] = (float(rect["width"]), float(rect["height"]))
    figures = [(float(e.rect["width"]), float(e.rect["height"]))
               for e in driver.find_elements(By.CSS_SELECTOR, "svg.figure")]
    return Loaded(console, requests, failed, sections, figures)


def screenshot(driver: webdriver.Chrome, out: Path) -> bytes:
    """A PNG of the whole page (beyond the window), written to ``out``; returns its bytes."""
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1}})
    data = base64.b64decode(shot["data"])
    out.write_bytes(data)
    return data


def main(argv: list[str]) -> int:
    """``python -m tests.reports.browser PAGE.html OUT.png [--colours N]``; exit 1 on console messages."""
    page, out = Path(argv[0]), Path(argv[1])
    with chromium() as driver:
        loaded = load(driver, page)
        screenshot(driver, out)
    if "--colours" in argv:
        from PIL import Image

        colours = int(argv[argv.index("--colours") + 1])
        with Image.open(out) as image:
            small = image.convert("RGB").quantize(colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        small.save(out, optimize=True)
    for entry in loaded.console:
        sys.stderr.write(f"console: {entry}\n")
    return 1 if loaded.console else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
