"""Prefect settings for the project's own runs: usage reporting off unless the user chose otherwise,
and the check that a served deployment talks to a real (lasting) Prefect server.

No Prefect import here: the defaults must be in the environment before `import prefect`, which
starts its client telemetry at import time.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import MutableMapping
from pathlib import Path

# Each is set only when neither the environment nor a Prefect profile sets it.
PRIVATE_DEFAULTS = {
    "DO_NOT_TRACK": "1",  # Prefect's client (SDK) usage events
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # the server's anonymous usage report at start
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
}

SERVER_HELP = """\
start a Prefect server and point this command at it:
    prefect server start --host 127.0.0.1 --port 4200      # in another shell, or as a service (docs/deploy/)
    export PREFECT_API_URL=http://127.0.0.1:4200/api"""


def profile_settings(environ: MutableMapping[str, str] = os.environ) -> set[str]:
    """Setting names any Prefect profile sets (PREFECT_PROFILES_PATH, else PREFECT_HOME/profiles.toml)."""
    home = Path(environ.get("PREFECT_HOME") or Path.home() / ".prefect")
    path = Path(environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml")
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8")).get("profiles", {})
    except (OSError, ValueError):
        return set()
    return {name for values in profiles.values() if isinstance(values, dict) for name in values}


def apply_private_defaults(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """Put PRIVATE_DEFAULTS into `environ` where the user has not set them; returns the names set."""
    chosen = profile_settings(environ)
    applied = [k for k in PRIVATE_DEFAULTS if k not in environ and k not in chosen]
    for name in applied:
        environ[name] = PRIVATE_DEFAULTS[name]
    return applied


class NoServerError(RuntimeError):
    """No lasting Prefect server to serve a deployment against."""


def require_server(timeout: float = 5.0) -> str:
    """The configured API URL, after checking the server answers; NoServerError says how to start one.

    Without PREFECT_API_URL Prefect runs an ephemeral server inside the process, which never
    fires schedules: a deployment served against it would look alive and never run."""
    import httpx
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        raise NoServerError(f"PREFECT_API_URL is not set (Prefect would use a temporary server); {SERVER_HELP}")
    try:
        healthy = httpx.get(f"{url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError as exc:
        raise NoServerError(f"no Prefect server answers at {url} ({type(exc).__name__}); {SERVER_HELP}") from exc
    if not healthy:
        raise NoServerError(f"the Prefect server at {url} is not healthy; {SERVER_HELP}")
    return url
