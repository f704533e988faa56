"""Dependencies: the pins exclude versions with known vulnerabilities, and pip-audit finds none.

``pip-audit`` asks PyPI's JSON API for each installed distribution's advisories. A network that reaches
only a package mirror (as this project's build machines do) answers without advisory data: then every
package is reported "not found", and the audit test is skipped with that reason rather than passing
silently; the pin test below still runs everywhere.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: distribution → (first fixed version, advisories it fixes). Keep in step with pyproject.toml.
KNOWN_FIXED: dict[str, tuple[str, str]] = {
    "dash": ("2.15.0", "CVE-2024-21485 (XSS through href)"),
    "jinja2": ("3.1.6", "CVE-2024-56201, CVE-2024-56326, CVE-2025-27516 (sandbox escapes)"),
    "werkzeug": ("3.0.6", "CVE-2024-49766, CVE-2024-49767 (path traversal on Windows, multipart DoS)"),
    "gunicorn": ("23.0.0", "CVE-2024-1135, CVE-2024-6827 (request smuggling)"),
    "pyarrow": ("14.0.1", "CVE-2023-47248 (deserialisation of untrusted IPC data)"),
}


def _tuple(v: str) -> tuple[int, ...]:
    """``2.15`` → (2, 15, 0): three numeric parts, missing ones zero."""
    parts = [int(p) for p in re.findall(r"\d+", v)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def _pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    out = {}
    for req in project["dependencies"]:
        m = re.match(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9.]+)", req)
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


@pytest.mark.parametrize("name", sorted(KNOWN_FIXED))
def test_pins_and_installed_versions_exclude_known_vulnerable_releases(name: str) -> None:
    fixed, advisories = KNOWN_FIXED[name]
    pins = _pins()
    assert name in pins, f"pyproject.toml has no lower bound for {name} ({advisories})"
    assert _tuple(pins[name]) >= _tuple(fixed), (
        f"{name}>={pins[name]} allows releases before {fixed}: {advisories}"
    )
    try:
        installed = version(name)
    except PackageNotFoundError:
        pytest.fail(f"{name} is not installed")
    assert _tuple(installed) >= _tuple(fixed), f"installed {name} {installed} predates {fixed}: {advisories}"


def test_pip_audit_finds_no_known_vulnerability() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip_audit",
            "-s",
            "pypi",
            "-l",
            "--skip-editable",
            "--progress-spinner",
            "off",
            "-f",
            "json",
            "--timeout",
            "20",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.skip(f"pip-audit could not run here: {proc.stderr.strip().splitlines()[-1:]}")
    deps = report.get("dependencies", [])
    audited = [d for d in deps if "skip_reason" not in d]
    if not audited:
        not_found = sum("not found on PyPI" in d.get("skip_reason", "") for d in deps)
        pytest.skip(
            f"PyPI's advisory data is not reachable from this network: {not_found} of {len(deps)} "
            "installed packages were answered 'not found' (a mirror without the JSON advisory API)"
        )
    vulnerable = {d["name"]: [v["id"] for v in d["vulns"]] for d in audited if d.get("vulns")}
    # The environment's own installer tools are not the product's dependencies.
    vulnerable = {k: v for k, v in vulnerable.items() if k not in ("pip", "setuptools", "wheel")}
    assert vulnerable == {}, f"known vulnerabilities: {vulnerable}"
