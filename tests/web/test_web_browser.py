"""The browser-only parts, from the one Chromium session of conftest's `browser_results`: bad
runes each give their own error while the page lives on, the fake microphone and camera feed
real runes, and the demo page runs a dropped rune and is photographed."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from . import webkit
from .test_web_cases import assert_within_bound


def test_bad_runes_each_give_a_clear_error_and_the_page_stays_alive(
    browser_results: dict[str, Any],
) -> None:
    bad = browser_results["bad"]
    assert bad["truncated"].startswith("RuneLoadError: truncated file: section 0 at byte ")
    assert bad["wrongAbi"] == (
        "RuneLoadError: unsupported rune ABI version 2: this runtime implements ABI version 1"
    )
    assert bad["unknownCapability"].startswith(
        "CapabilityError: unknown capability kind 'TEMPERATURE' (stage \"rand\")"
    )
    assert bad["missingInput"] == (
        'CapabilityError: Unable to load the "RAW" input for stage "rand": no input was given'
    )
    assert bad["forever"].startswith(
        "LimitError: the rune ran past its deadline of 500 ms while running; its worker was "
        "terminated"
    )
    assert 500 <= int(bad["foreverMs"]) < 5000
    # then a good rune runs in a new worker, and the page's own script still answers
    assert bad["afterwards"].startswith('ok: [{"name": "serial"'), bad["afterwards"]
    assert bad["alive"] == "ready"


def test_microphone_hears_up(browser_results: dict[str, Any]) -> None:
    """Chromium's fake microphone loops up.wav; the AudioWorklet's recording, resampled from the
    context's rate to 16 kHz with the SOUND filter, is labelled "up" in every window."""
    rate, *labels = browser_results["microphone"]
    assert rate.startswith("rate=") and int(rate[5:]) != 16000  # resampling really happened
    assert len(labels) >= 8 and labels.count("up") >= len(labels) - 1, labels
    assert set(labels) <= {"up", "silence"}, labels


def test_camera_sees_a_person(browser_results: dict[str, Any]) -> None:
    """Chromium's fake camera plays a Y4M of the person_detection example's image."""
    assert browser_results["camera"] == "96x96 person_prob"


def test_device_motion_feeds_accel_like_the_csv(
    browser_results: dict[str, Any], cases: dict[str, webkit.Case]
) -> None:
    """The gesture example's ring CSV, row by row as DeviceMotion events, gives what the Python
    host gives for the CSV file (the model's floats within the TFLite bound)."""
    case = cases["examples/gesture:example_ring.csv"]
    assert '"Ring"' in browser_results["motion"], browser_results["motion"]
    assert_within_bound(browser_results["motion"], case.expected, "motion")


def test_demo_page_runs_a_rune_and_is_photographed(browser_results: dict[str, Any]) -> None:
    demo = browser_results["demo"]
    assert demo["error"] == "", demo
    assert "serial (serial)" in demo["outputs"] and "utf8[1]up" in demo["outputs"], demo
    shot = Image.open(webkit.WEB / "screenshots" / "demo.png")
    assert shot.format == "PNG" and shot.width >= 600 and shot.height >= 300
    pixels = np.asarray(shot.convert("L"), dtype=np.float64)
    assert pixels.std() > 10 and (pixels < 100).mean() > 0.005  # text on a page, not a blank


def test_chromium_is_the_system_one(browser_results: dict[str, Any]) -> None:
    assert "HeadlessChrome/" in browser_results["userAgent"]
    assert not [line for line in browser_results["console"] if "pageerror" in line]
