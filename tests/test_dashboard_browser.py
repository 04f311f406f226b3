"""The dashboard in a real headless Chromium, served by uvicorn on loopback with seeded data.

Screenshots (1280 px and a 390 px phone) go to ``$HOCVUSO_SCREENSHOT_DIR`` when set
(e.g. ``docs``), else to the test's tmp dir.
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


def screenshot(browser, width: int, name: str, tmp_path: Path) -> Path:
    """The whole page at ``width`` px in one picture, to ``$HOCVUSO_SCREENSHOT_DIR`` (e.g. docs/) when set."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 600})
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    out = Path(os.environ.get("HOCVUSO_SCREENSHOT_DIR") or tmp_path) / name
    out.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(out))
    assert out.stat().st_size > 10_000
    return out


def sign_in(browser, url: str, key: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url + "/dashboard")
    assert browser.current_url.endswith("/dashboard/login")
    browser.find_element(By.ID, "key").send_keys(key)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit].primary").click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/dashboard"))


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
        sign_in(browser, server.url, trainer_key)
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
        # Questions are labelled by their text; counts have whole-number ticks.
        facility_labels = [row.get_attribute("data-label")
                           for row in browser.find_elements(By.CSS_SELECTOR, "#chart-facility li.bar")]
        assert facility_labels and all(" " in label for label in facility_labels), facility_labels
        ticks = [tick.text for tick in browser.find_elements(By.CSS_SELECTOR, "#chart-participants text.tick")]
        assert ticks and all(tick.isdigit() for tick in ticks), ticks
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
        assert 0 < len(browser.find_elements(By.CSS_SELECTOR, "#chart-facility li.bar")) <= 30
        screenshot(browser, 1280, "dashboard.png", tmp_path)


def test_dashboard_fits_a_phone_screen_without_sideways_scrolling(services, trainer_key, browser, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By

    seed_attempts(services, PLAYS)
    with LiveServer(create_app(services)) as server:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
        sign_in(browser, server.url, trainer_key)
        assert browser.execute_script("return window.innerWidth") == 390
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"trang rộng hơn màn hình {overflow} px"
        # Every table cell and chart row stays inside the screen.
        for selector in ("#units-table td", "#missed-table td", "#chart-facility li", "#chart-scores svg"):
            for element in browser.find_elements(By.CSS_SELECTOR, selector):
                rect = element.rect
                assert rect["x"] >= 0 and rect["x"] + rect["width"] <= 390 + 0.5, (selector, rect)
        cell = browser.find_element(By.CSS_SELECTOR, "#units-table td")
        assert browser.execute_script(
            "return getComputedStyle(arguments[0], '::before').content", cell) == '"Đơn vị: "'
        screenshot(browser, 390, "dashboard-mobile.png", tmp_path)


def test_api_docs_render_with_the_network_blocked(services, tmp_path):  # noqa: F811
    """/docs draws Swagger UI from this app's own assets: no CDN, no network."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-dev-shm-usage", "--window-size=1280,1000",
                     # Every host name but loopback fails to resolve: a CDN would be unreachable.
                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        with LiveServer(create_app(services)) as server:
            driver.get(server.url + "/docs")
            WebDriverWait(driver, 20).until(
                lambda d: d.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock"))
            assert "Trợ lý Bình dân học vụ số" in driver.find_element(By.CSS_SELECTOR, ".swagger-ui .title").text
            paths = {element.text for element in driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
            assert "/v1/ask" in paths
            sources = driver.execute_script(
                "return performance.getEntriesByType('resource').map(e => e.name)")
            assert sources and all(source.startswith(server.url) for source in sources), sources
    finally:
        driver.quit()
