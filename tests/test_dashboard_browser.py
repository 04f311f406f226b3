"""The dashboard in a real headless Chromium, served by uvicorn on loopback with seeded data.

The screenshot goes to ``$HOCVUSO_SCREENSHOT_OUT`` when set (e.g. ``docs/dashboard.png``),
else to the test's tmp dir.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from fixtures_api import Play, api_settings, seed_attempts, services, trainer_key  # noqa: F401

from api.app import create_app

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER),
        reason="Chưa cài Chromium của Debian: apt-get install -y chromium chromium-driver",
    ),
]

TODAY = datetime.now(UTC).date()
UNITS = ["Xã Nghĩa Trung", "Phường Thành Sen", "Xã Đức Thọ"]
TOPICS = ["vneid", "lua-dao", "mat-khau", "dich-vu-cong"]
# A week of activity: who played when, in which unit, on what topic, and how many right.
PLAYS = [
    Play(f"hoc-vien-{n}", UNITS[n % 3], TODAY - timedelta(days=(n * 5) % 7), TOPICS[n % 4], (n * 7 + n // 3) % 6)
    for n in range(24)
]


class LiveServer:
    """The app under uvicorn on a free loopback port, in a background thread."""

    def __init__(self, app):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.url = "http://127.0.0.1:%d" % self.socket.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.socket.close()


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=vi"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def expected_for(unit: str) -> dict:
    """The figures the dashboard must show for one unit, worked out from the seeded plays."""
    plays = [play for play in PLAYS if play.unit == unit]
    by_day: dict = {}
    for play in plays:
        by_day.setdefault(play.day, set()).add(play.user)
    return {
        "participants": len({play.user for play in plays}),
        "attempts": len(plays),
        "per_day": {f"{day:%d/%m}": len(users) for day, users in by_day.items()},
        "scores": {score: sum(1 for play in plays if play.correct == score) for score in range(6)},
    }


def test_trainer_signs_in_filters_and_sees_the_seeded_figures(services, trainer_key, browser, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    seed_attempts(services, PLAYS)
    with LiveServer(create_app(services)) as server:
        browser.get(server.url + "/dashboard")
        assert browser.current_url.endswith("/dashboard/login")
        browser.find_element(By.ID, "key").send_keys(trainer_key)
        browser.find_element(By.CSS_SELECTOR, "button[type=submit].primary").click()
        WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/dashboard"))
        assert browser.find_element(By.ID, "participants").text == str(len({p.user for p in PLAYS}))
        assert browser.find_element(By.ID, "attempts").text == str(len(PLAYS))

        unit = UNITS[0]
        Select(browser.find_element(By.ID, "unit")).select_by_visible_text(unit)
        browser.find_element(By.ID, "apply").click()
        WebDriverWait(browser, 10).until(lambda b: "unit=" in b.current_url)
        expected = expected_for(unit)
        assert browser.find_element(By.ID, "participants").text == str(expected["participants"])
        assert browser.find_element(By.ID, "attempts").text == str(expected["attempts"])

        # Charts: one bar per day / score / question, drawn with a real size by the browser.
        day_bars = browser.find_elements(By.CSS_SELECTOR, "#chart-participants g.bar")
        shown = {bar.get_attribute("data-label"): int(float(bar.get_attribute("data-value"))) for bar in day_bars}
        assert {day: count for day, count in shown.items() if count} == expected["per_day"]
        score_bars = browser.find_elements(By.CSS_SELECTOR, "#chart-scores g.bar")
        assert {int(bar.get_attribute("data-label")): int(float(bar.get_attribute("data-value")))
                for bar in score_bars} == expected["scores"]
        assert browser.find_elements(By.CSS_SELECTOR, "#chart-facility g.bar")
        tallest = max(day_bars, key=lambda bar: float(bar.get_attribute("data-value")))
        assert tallest.find_element(By.TAG_NAME, "rect").rect["height"] > 10

        # Tables: the unit's row carries its figures.
        rows = browser.find_elements(By.CSS_SELECTOR, "#units-table tbody tr")
        cells = [cell.text for cell in rows[0].find_elements(By.TAG_NAME, "td")]
        assert len(rows) == 1
        assert cells[:3] == [unit, str(expected["participants"]), str(expected["attempts"])]
        assert browser.find_elements(By.CSS_SELECTOR, "#missed-table tbody tr")

        # The stylesheet applied: the header bar is coloured.
        header = browser.find_element(By.CSS_SELECTOR, "header.top")
        assert header.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"

        Select(browser.find_element(By.ID, "unit")).select_by_index(0)
        browser.find_element(By.ID, "apply").click()
        WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "attempts").text == str(len(PLAYS)))
        assert 0 < len(browser.find_elements(By.CSS_SELECTOR, "#chart-facility g.bar")) <= 30
        # The whole page in one picture: make the viewport as tall as the document.
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False})
        out = Path(os.environ.get("HOCVUSO_SCREENSHOT_OUT") or tmp_path / "dashboard.png")
        out.parent.mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(out))
        assert out.stat().st_size > 10_000
