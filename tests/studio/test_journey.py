"""The studio's whole journey in a real browser (journey.mjs), then the server's own record of
it: the channel's history, the telemetry the device sent, and what each device run saw."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from conftest import REPO, StudioServer
from forgekit import UP_WAV, Api
from studiokit import SCREENSHOTS, run_browser_script

HERE = Path(__file__).parent
VIEWS = ["1-build-microspeech", "2-diagnostic-on-edge", "3-inspect-ir", "4-inspect-memory",
         "5-inspect-manifest", "5b-test-run", "6-deploy", "7-watch", "8-rolled-back"]


def test_journey(studio_server: StudioServer, tmp_path: Path) -> None:
    run_browser_script("journey.mjs", studio_server, tmp_path, timeout=1200,
                       PYTHON=sys.executable, SDK_DEVICE=str(HERE / "sdk_device.py"),
                       UP_WAV=str(UP_WAV))
    results = json.loads((tmp_path / "journey.json").read_text())

    assert "noise_filtering takes u32[1, n]" in results["edgeDiagnostic"]
    # MicroSpeech has no elementwise stage, so fuse-elementwise changes nothing; lowering does.
    assert results["irChanges"] == "0 lines changed"
    assert int(results["lowerChanges"].split()[0]) > 100
    # The timeline draws every tensor of the manifest's memory plan.
    manifest = results["manifest"]
    plan = manifest["memory"]
    assert results["tensorBoxes"] == len(plan["tensors"]) == len(manifest["tensors"]) == 6
    assert (f"arena {plan['arena_bytes']} B, lower bound {plan['lower_bound_bytes']} B"
            in results["memory"])
    assert manifest["capabilities"][0]["kind"] == "SOUND"
    assert manifest["models"][0]["source"] == "model.tflite"  # no server paths leak

    assert results["pageRun"] == "utf8[1]: up"  # the browser runtime, in a Web Worker
    assert "run " in results["pageTiming"]
    assert results["first"] == {"label": "up", "version": 1}
    assert results["second"] == {"label": "UP-v2", "version": 2}
    assert results["afterRollback"] == {"label": "up", "version": 1}
    assert results["points"] >= 1 and results["devices"] == "1"

    api = Api(studio_server.server.url, studio_server.admin_key)
    history = api.get("/v1/projects/speech/channels/production/history").json()
    assert [(h["action"], h["version"]) for h in history] == [  # newest first
        ("rollback", 1), ("deploy", 2), ("promote", 1)]
    summary = api.get("/v1/projects/speech/telemetry/summary").json()
    assert summary["inferences"] == 3 and summary["active_devices"] == 1
    for view in VIEWS:
        assert (SCREENSHOTS / f"{view}.png").stat().st_size > 10_000, view
    assert REPO.joinpath("studio", "screenshots").is_dir()
