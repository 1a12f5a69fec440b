"""Debian's headless Chromium driven by Selenium through Debian's chromedriver: no browser is
downloaded (./energrid.sh test installs chromium and chromium-driver when missing)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-unsafe-swiftshader",  # WebGL on the CPU: three.js needs a WebGL context
    "--window-size=1400,850",
]


@contextmanager
def chromium(*extra_flags: str) -> Iterator[webdriver.Chrome]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        raise RuntimeError(f"{', '.join(missing)} missing: ./energrid.sh test installs them")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, *extra_flags):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def text_of(driver: webdriver.Chrome, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def device_button(driver: webdriver.Chrome, name: str) -> WebElement:
    """The ON/OFF button of a device by the start of its accessible name, e.g. 'House 1
    Consumer 1 Radiateur' (the name then says ': switch ON' or ': switch OFF')."""
    return driver.find_element(By.CSS_SELECTOR, f'button[aria-label^="{name}: switch"]')
