"""The shipped systemd units (docs/deploy/): systemd-analyze verify accepts them, the commands they
start exist and take the options given, and the two agree on where the Prefect API is."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "docs" / "deploy"
UNITS = ("prefect-server.service", "govreports-nightly.service")
INSTALLED_VENV = "/opt/govreports/.venv"  # where the units expect the package
STATE_DIR = "/srv/govreports"


def parse_unit(text: str) -> dict[str, list[tuple[str, str]]]:
    """Sections → (key, value) in order; keys repeat (Environment=), so no dict per section."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        else:
            key, _, value = line.partition("=")
            assert current is not None, f"key outside a section: {line}"
            current.append((key.strip(), value.strip()))
    return sections


def values(unit: dict, section: str, key: str) -> list[str]:
    return [v for k, v in unit[section] if k == key]


def unit(name: str) -> dict[str, list[tuple[str, str]]]:
    return parse_unit((DEPLOY / name).read_text(encoding="utf-8"))


def installed_script(name: str) -> Path:
    """This environment's copy of a console script the units start from INSTALLED_VENV/bin."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return beside
    for dist in ("govreports", "prefect"):
        for f in importlib.metadata.distribution(dist).files or []:
            if f.name == name and "bin" in f.parts:
                return Path(f.locate()).resolve()
    found = shutil.which(name)
    assert found, f"{name} is not installed here"
    return Path(found)


def exec_argv(name: str) -> list[str]:
    (line,) = values(unit(name), "Service", "ExecStart")
    program, *args = line.split()
    assert program.startswith(f"{INSTALLED_VENV}/bin/"), program
    return [str(installed_script(Path(program).name)), *args]


def environment(name: str) -> dict[str, str]:
    return dict(v.split("=", 1) for v in values(unit(name), "Service", "Environment"))


def test_units_name_one_api_and_keep_usage_reporting_off() -> None:
    server, nightly = environment(UNITS[0]), environment(UNITS[1])
    args = exec_argv(UNITS[0])
    host, port = args[args.index("--host") + 1], args[args.index("--port") + 1]
    assert nightly["PREFECT_API_URL"] == f"http://{host}:{port}/api" == "http://127.0.0.1:4200/api"
    assert server["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert server["DO_NOT_TRACK"] == nightly["DO_NOT_TRACK"] == "1"
    assert server["PREFECT_HOME"] == nightly["PREFECT_HOME"]
    assert values(unit(UNITS[1]), "Unit", "After") == values(unit(UNITS[1]), "Unit", "Wants") == [UNITS[0]]
    assert values(unit(UNITS[1]), "Service", "Restart") == ["on-failure"]  # crawl-serve exits 2 until the API is up


@pytest.mark.parametrize("name", UNITS)
def test_exec_start_command_exists_and_takes_its_options(name: str) -> None:
    argv = exec_argv(name)
    command = argv[: next(i for i, a in enumerate(argv) if a.startswith("-"))]
    done = subprocess.run(
        [*command, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"COLUMNS": "200", "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stderr
    for option in (a for a in argv if a.startswith("--")):
        assert option in done.stdout, f"{' '.join(command)} has no {option}"


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    """The units as installed here: this environment's scripts for INSTALLED_VENV, tmp_path for STATE_DIR."""
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8").replace(STATE_DIR, str(tmp_path))
        program = exec_argv(name)[0]
        text = text.replace(f"{INSTALLED_VENV}/bin/{Path(program).name}", program)
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / n) for n in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
