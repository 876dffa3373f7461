"""The commands a new user types first: console-script help and the test command's Debian step."""
from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from tango_ds.specs import ALL_CLASSES, MEASUREMENT_PROPERTIES, TAGGER_PROPERTIES

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(ep.name for ep in entry_points(group="console_scripts")
                 if ep.dist is not None and ep.dist.name == "tango-timetagger")


def help_of(script: str) -> str:
    path = Path(sys.executable).with_name(script)
    assert path.exists(), f"{script} is not installed next to {sys.executable}"
    result = subprocess.run([str(path), "-h"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_every_console_script_is_listed():
    assert {"TimeTaggerDS", "timetagger-quickstart", "timetagger-gui"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_reads_as_plain_text(script):
    text = help_of(script)
    assert text.startswith("usage:")
    assert "`" not in text and ":class:" not in text and ":func:" not in text, text


def test_device_server_help_lists_classes_backends_properties_and_examples():
    text = help_of("TimeTaggerDS")
    for spec in ALL_CLASSES:
        assert f"{spec.name}(" in text, spec.name
    assert "TimeTagger " in text
    for backend in ("auto", "swabian", "sim", "rpc://host:port"):
        assert backend in text
    for name in [p.name for p in TAGGER_PROPERTIES] + list(MEASUREMENT_PROPERTIES):
        assert f"  {name} (default" in text, name
    assert "Examples:" in text and "TimeTaggerDS quickstart" in text
    assert "-nodb" in text and "-ORBendPoint" in text          # Tango's own options follow


def test_quickstart_and_gui_help_explain_every_option():
    quickstart = help_of("timetagger-quickstart")
    assert "tango_database.db" in quickstart and "--data-dir" in quickstart
    assert "SIGINT" in quickstart and "SIGHUP" in quickstart
    gui = help_of("timetagger-gui")
    assert "--seconds S" in gui and "how long the panel runs" in gui
    assert "--arrays" in gui


@pytest.mark.skipif(shutil.which("dpkg-query") is None or shutil.which("apt-get") is None,
                    reason="not a Debian system (the Debian step applies there only)")
def test_system_deps_dry_run_lists_what_it_would_install_and_changes_nothing():
    candidate = subprocess.run(["apt-cache", "policy", "hello"], capture_output=True, text=True)
    if "Candidate:" not in candidate.stdout or "Candidate: (none)" in candidate.stdout:
        pytest.skip("apt has no package lists here (apt-get update has not run)")
    installed = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "hello"],
                               capture_output=True, text=True).stdout
    if installed == "install ok installed":
        pytest.skip("the probe package 'hello' is installed here")
    result = subprocess.run([str(ROOT / "scripts" / "system-deps.sh"), "--dry-run", "hello"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Debian packages missing: hello" in result.stderr
    assert "will install 1 new packages: hello" in result.stderr
    assert "Dry run: nothing installed." in result.stderr
    after = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "hello"],
                           capture_output=True, text=True).stdout
    assert after == installed
