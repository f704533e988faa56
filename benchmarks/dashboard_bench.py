"""Benchmark: the dashboard as people use it, over HTTP and in a real browser, against the real server.

Starts ``him serve`` (gunicorn, 2 workers, 4 threads each: the ``Procfile``'s shape) on a free port
against the demo warehouse of N encounters (``<workdir>/wh-N``; generated and loaded when absent, as
``query_bench`` does). The server gets its own warehouse pointer in a temporary directory (a link to
the same published generation, as ``tests/security`` does), so its auth store, audit log and the
benchmark's users live there and the shared warehouse's accounts are not touched. Then:

1. **Callback latency** (stdlib HTTP client, keep-alive): one user per data role (leadership, manager,
   analyst) logs in through the form (CSRF token included), reads ``/_dash-dependencies`` and, for
   every page the role may open, replays what the browser fires when the page loads: the pages
   router, the shell's URL → filter store and navbar callbacks, and each page callback whose Input is
   the filter store (the Explorer's grid blocks too), with the filter store as the shell writes it
   (``dashboard.shell.store_of``). ``cold``: the role's first call of each callback (the data's whole
   range, no filters). Then, per page, ``k`` views this user has not asked for before (13-month windows
   ending 1-12 months before the latest month with that month and as-of date, then with each facility,
   then each patient type): the per-process result cache cannot answer them (p50 / p95, the target);
   then the same views again (``hit``: over the same keep-alive connection, so the same worker; a
   browser's several connections reach both workers, so that is the best case). p50 / p95 per callback
   and role, the worst p95 per page. Target p95 <= 150 ms.
2. **Navigation to charts drawn** (headless Chromium, selenium): per page, from ``driver.get(url)`` until
   every Plotly graph has drawn data (or its empty state), no callback is in flight and no container
   waits (``tests/browser/browser_helpers.py``'s checks, polled every 25 ms); the Explorer also waits for
   its first rows. One unmeasured visit per page (browser caches), then the median of n navigations,
   each to a view new to the user, and one revisit. Target <= 1.5 s per page.
3. **Explorer**: the grid's first block (the infinite row model's ``getRowsRequest`` callback) of claims
   filtered to one payer (the filter bar's, and a grid column filter) sorted by submitted date
   descending; target <= 300 ms. Beside it, the count / export-links callback the grid fires with it.
4. **Export**: ``GET /export/deidentified/diagnoses.csv`` over the whole range as the analyst (>= 1M
   rows at 1M encounters), streamed and discarded: seconds, MB/s, time to first byte, and the
   gunicorn workers' RSS sampled every 50 ms while it streams (``/proc/<pid>/status``; must stay
   bounded: a streaming export holds one 50k-row batch, not the file).
5. **Server RSS** per worker after the run (VmRSS and VmHWM); target <= 1.5 GiB.

With ``--profile``, callbacks over their target are run again in this process (the same app, through
Flask's test client) with every catalog query timed, to split their time into queries, the rest of the
callback (figure building, suppression, audit) and the payload. Usage::

    python benchmarks/dashboard_bench.py --quick                       # 1M, k = 5, 3 navigations
    python benchmarks/dashboard_bench.py --workdir /tmp/lb -k 20 --json dash.json --profile
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _p in (str(HERE), str(ROOT)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

CALLBACK_TARGET_MS = 150.0
PAGE_TARGET_S = 1.5
EXPLORER_TARGET_MS = 300.0
WORKER_RSS_TARGET_MIB = 1536.0
#: The benchmark's users (one per data role) and the browser's (every page: analyst + manager).
PASSWORD = "Bench-Only-Passphrase-0451"
ROLE_USERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "leadership": ("bench-leader", ("leadership",)),
    "manager": ("bench-manager", ("manager",)),
    "analyst": ("bench-analyst", ("analyst",)),
}
BROWSER_USER = ("bench-browser", ("analyst", "manager"))
#: Pages in navbar order: (name, path).
PAGES: tuple[tuple[str, str], ...] = (
    ("scorecard", "/"),
    ("demographics", "/demographics"),
    ("drg", "/drg"),
    ("denials", "/denials"),
    ("coding", "/coding"),
    ("operations", "/operations"),
    ("explorer", "/explorer"),
    ("data-quality", "/data-quality"),
)
PATIENT_TYPES = ("inpatient", "outpatient", "emergency", "observation")
FILTERS = "shell-filters"
CONTEXT = "shell-context"
ROUTER_OUTPUT = "_pages_content"
GRID_TYPE = "explorer-grid"
FIRST_BLOCK = {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}


# -- small helpers -------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank), as query_bench."""
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered) + 0.5) - 1)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _id_key(ident: Any) -> str:
    return json.dumps(ident, sort_keys=True, separators=(",", ":")) if isinstance(ident, dict) else str(ident)


def _parse_id(text: str) -> Any:
    if text.startswith("{"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def output_specs(key: str) -> list[tuple[Any, str]]:
    """(id, property) of each output of a ``/_dash-dependencies`` output key (as security.policy)."""
    parts = key[2:-2].split("...") if key.startswith("..") and key.endswith("..") else [key]
    out = []
    for part in parts:
        part = re.sub(r"@[0-9a-f]{16,}$", "", part)
        ident, _, prop = part.rpartition(".")
        out.append((_parse_id(ident), prop))
    return out


def _spec_id(spec: Mapping[str, Any]) -> Any:
    ident = spec["id"]
    return _parse_id(ident) if isinstance(ident, str) else ident


def _wildcard(ident: Any) -> str | None:
    if isinstance(ident, dict):
        for v in ident.values():
            if isinstance(v, list) and v:
                return str(v[0])
    return None


def _matches(pattern: Mapping[str, Any], ident: Any) -> bool:
    if not isinstance(ident, dict) or set(ident) != set(pattern):
        return False
    return all(isinstance(v, list) or ident[k] == v for k, v in pattern.items())


def components(tree: Any) -> Iterator[tuple[Any, dict[str, Any]]]:
    """(id, props) of every component with an id in a serialised Dash layout."""
    if isinstance(tree, list):
        for item in tree:
            yield from components(item)
    elif isinstance(tree, dict):
        props = tree.get("props")
        if isinstance(props, dict):
            if "id" in props:
                yield props["id"], props
            for value in props.values():
                if isinstance(value, dict | list):
                    yield from components(value)
        else:
            for value in tree.values():
                if isinstance(value, dict | list):
                    yield from components(value)


def _rss(pid: int) -> dict[str, float]:
    """VmRSS / VmHWM of a process in MiB (empty when it is gone)."""
    out: dict[str, float] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0]) / 1024
    return out


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
        return found


# -- the server ------------------------------------------------------------------------------------


class Server:
    """``him serve`` on its own warehouse pointer (a link to the benchmark's generation)."""

    def __init__(self, generation: Path, *, workers: int = 2) -> None:
        self.generation = generation
        self.workers = workers
        self.tmp = Path(tempfile.mkdtemp(prefix="him-dash-bench-"))
        self.pointer = self.tmp / "him.duckdb"
        self.pointer.symlink_to(generation)
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = self.tmp / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start_seconds = 0.0

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "HIM_WAREHOUSE": str(self.pointer),
            "HIM_CREATE_FIRST_ADMIN": "0",
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        }
        env.setdefault("HIM_SECRET_KEY", "benchmark-secret-0123456789abcdef")
        return env

    def add_users(self) -> None:
        """The benchmark's users, in this pointer's own auth store."""
        from warehouse import users
        from warehouse.paths import WarehousePaths

        store = users.open_store(WarehousePaths(self.pointer))
        for name, roles in (*ROLE_USERS.values(), BROWSER_USER):
            if store.get(name) is None:
                store.add(name, roles, (), password=PASSWORD)

    def start(self) -> None:
        self.add_users()
        started = time.perf_counter()
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "warehouse.cli",
                    "serve",
                    "--warehouse",
                    str(self.pointer),
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],
                cwd=ROOT,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 180
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.3)
        self.start_seconds = time.perf_counter() - started
        deadline = time.monotonic() + 30
        while len(self.worker_pids()) < self.workers and time.monotonic() < deadline:
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        return sorted(_children(self.proc.pid)) if self.proc else []

    def rss(self) -> dict[int, dict[str, float]]:
        return {pid: _rss(pid) for pid in self.worker_pids()}

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


# -- an HTTP client that logs in -------------------------------------------------------------------


class Client:
    """One person's browser session over HTTP/1.1 keep-alive: cookies, the login form, callbacks."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.host, port = base.removeprefix("http://").split(":")
        self.port = int(port)
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
        return self.conn

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"Origin": self.base, "Accept": "*/*"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return headers

    def _remember(self, resp: http.client.HTTPResponse) -> None:
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if (
                value
                and "max-age=0" not in header.lower()
                and "expires=thu, 01 jan 1970" not in header.lower()
            ):
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> tuple[int, bytes, float]:
        """Send a request; return (status, body, wall ms until the whole body was read)."""
        for attempt in (0, 1):
            conn = self._connection()
            try:
                t = time.perf_counter()
                conn.request(method, path, body=body, headers=self._headers(headers))
                resp = conn.getresponse()
                data = resp.read()
                ms = (time.perf_counter() - t) * 1000
            except (http.client.HTTPException, OSError):
                conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            self._remember(resp)
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                self.conn = None
            return resp.status, data, ms
        raise AssertionError("unreachable")

    def get_json(self, path: str) -> Any:
        status, data, _ = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {data[:200]!r}")
        return json.loads(data)

    def login(self, user: str, password: str = PASSWORD) -> None:
        status, page, _ = self.request("GET", "/login")
        match = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        if status != 200 or not match:
            raise RuntimeError(f"no login form: {status}")
        form = urlencode({"username": user, "password": password, "csrf_token": match.group(1).decode()})
        status, _, _ = self.request(
            "POST", "/login", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 303 or not any("session" in c for c in self.cookies):
            raise RuntimeError(f"{user} could not log in: {status}")

    def callback(self, body: Mapping[str, Any]) -> tuple[int, bytes, float]:
        return self.request(
            "POST",
            "/_dash-update-component",
            json.dumps(body).encode(),
            {"Content-Type": "application/json"},
        )

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# -- callback bodies -------------------------------------------------------------------------------


class Bodies:
    """Builds ``/_dash-update-component`` bodies from ``/_dash-dependencies`` and the rendered layouts.

    Values come from ``values`` (``id.prop`` or ``prop`` keys), else from the component's props in the
    layouts seen so far (the shell's and the pages'): what the renderer would send.
    """

    def __init__(self, deps: list[dict[str, Any]], shell_layout: Any) -> None:
        self.deps = {d["output"]: d for d in deps}
        self.props: dict[str, tuple[Any, dict[str, Any]]] = {}
        self.learn(shell_layout)

    def learn(self, tree: Any) -> set[str]:
        """Remember the components of a layout; return their id keys.

        Pattern-matching ids of a type the layout holds replace those of that type seen before (a new
        Explorer grid replaces the previous one, as in the browser).
        """
        found = list(components(tree))
        types = {i.get("type") for i, _ in found if isinstance(i, dict)}
        for key, (ident, _) in list(self.props.items()):
            if isinstance(ident, dict) and ident.get("type") in types:
                del self.props[key]
        seen = set()
        for ident, props in found:
            key = _id_key(ident)
            self.props[key] = (ident, props)
            seen.add(key)
        return seen

    def concrete(self, pattern: Any) -> list[Any]:
        return [ident for ident, _ in self.props.values() if _matches(pattern, ident)]

    def _value(self, ident: Any, prop: str, values: Mapping[str, Any]) -> Any:
        key = f"{_id_key(ident)}.{prop}"
        if key in values:
            return values[key]
        if prop in values:
            return values[prop]
        if prop == "id":
            return ident
        return self.props.get(_id_key(ident), (None, {}))[1].get(prop)

    def body(self, output: str, values: Mapping[str, Any], changed: list[str]) -> dict[str, Any]:
        dep = self.deps[output]

        def items(spec_id: Any, prop: str, with_value: bool) -> Any:
            kind = _wildcard(spec_id)
            idents = self.concrete(spec_id) if kind else [spec_id]
            made = []
            for ident in idents:
                one: dict[str, Any] = {"id": ident, "property": prop}
                if with_value:
                    one["value"] = self._value(ident, prop, values)
                made.append(one)
            if kind in ("ALL", "ALLSMALLER"):
                return made
            if not made:
                raise LookupError(f"no component matches {spec_id}")
            return made[0]

        outputs = [items(i, p, False) for i, p in output_specs(output)]
        return {
            "output": output,
            "outputs": outputs if output.startswith("..") else outputs[0],
            "inputs": [items(_spec_id(s), s["property"], True) for s in dep["inputs"]],
            "state": [items(_spec_id(s), s["property"], True) for s in dep.get("state", [])],
            "changedPropIds": changed,
        }


def _output_ids(output: str) -> list[Any]:
    return [i for i, _ in output_specs(output)]


def _router_key(deps: Mapping[str, Any]) -> str:
    return next(k for k in deps if any(i == ROUTER_OUTPUT for i in _output_ids(k)))


def _shell_keys(deps: Mapping[str, Any]) -> tuple[str, str]:
    """The shell's URL → store callback and its navbar callback."""
    sync = next(k for k, d in deps.items() if any(i == FILTERS for i in _output_ids(k)) and d["inputs"])
    nav = next(
        k
        for k, d in deps.items()
        if k != sync
        and not d.get("clientside_function")
        and any(s["id"] == FILTERS for s in d["inputs"])
        and any(isinstance(i, dict) for i in _output_ids(k))
    )
    return sync, nav


def page_callbacks(deps: Mapping[str, Any], page_ids: set[str]) -> list[str]:
    """The server callbacks a page's load fires: Input = the filter store, outputs in the page."""
    out = []
    for key, dep in deps.items():
        if dep.get("clientside_function") or dep.get("prevent_initial_call"):
            continue
        if not all(s["id"] == FILTERS for s in dep["inputs"]):
            continue
        if all(_id_key(i) in page_ids for i in _output_ids(key)):
            out.append(key)
    return out


def short(key: str) -> str:
    """A callback's name for tables: its first output."""
    ident, prop = output_specs(key)[0]
    name = ident.get("type", "?") if isinstance(ident, dict) else ident
    more = len(output_specs(key)) - 1
    return f"{name}.{prop}" + (f" +{more}" if more else "")


# -- filter views ----------------------------------------------------------------------------------


def _month_back(month: dt.date, n: int) -> dt.date:
    y, m = divmod(month.year * 12 + month.month - 1 - n, 12)
    return dt.date(y, m + 1, 1)


def views(context: Mapping[str, Any], n: int = 3) -> list[tuple[str, str]]:
    """(label, URL query string) of ``n`` distinct filter views (a new view is a result-cache miss).

    The first is the data's whole range (no filters: what a fresh visit shows); then 13-month windows
    ending 1, 2, 3 … 12 months before the latest month (with that month and its last day as the as-of
    date), every facility in turn added to them after the first round, then every patient type.
    """
    defaults = context.get("defaults") or {}
    month = dt.date.fromisoformat(defaults["month"])
    facilities = [None, *((context.get("options") or {}).get("facility") or [])]
    types = [None, *PATIENT_TYPES]

    def window(back: int) -> list[tuple[str, str]]:
        m = _month_back(month, back)
        end = _month_back(m, -1) - dt.timedelta(days=1)
        start = _month_back(m, 12)
        return [
            ("month", m.strftime("%Y-%m")),
            ("from", start.isoformat()),
            ("to", end.isoformat()),
            ("as_of", end.isoformat()),
        ]

    out = [("all dates", "")]
    i = 0
    while len(out) < n:
        back, facility = i % 12 + 1, facilities[(i // 12) % len(facilities)]
        kind = types[(i // (12 * len(facilities))) % len(types)]
        pairs = window(back) + [(k, v) for k, v in (("facility", facility), ("patient_type", kind)) if v]
        out.append((" ".join([f"13m to M-{back}", *(v for _, v in pairs[4:])]), "?" + urlencode(pairs)))
        i += 1
    return out[:n]


def store_value(search: str, context: Mapping[str, Any]) -> dict[str, str]:
    """The filter store as the shell writes it for a URL's query string."""
    from dashboard import shell, state

    return shell.store_of(state.parse(search), state.Defaults.from_json(context.get("defaults")))


# -- 1. callback latency ---------------------------------------------------------------------------


def _check(status: int, data: bytes, what: str) -> dict[str, Any]:
    if status != 200:
        raise RuntimeError(f"{what}: HTTP {status}: {data[:300]!r}")
    answer = json.loads(data)
    return answer.get("response", {}) if isinstance(answer, dict) else {}


def _grid_of(response: Mapping[str, Any]) -> Any:
    for ident, _ in components(response):
        if isinstance(ident, dict) and ident.get("type") == GRID_TYPE:
            return ident
    return None


class Session:
    """One role's logged-in client with what it needs to replay page loads."""

    def __init__(self, base: str, role: str, n_views: int = 3) -> None:
        self.role = role
        self.user = ROLE_USERS[role][0]
        self.client = Client(base)
        self.client.login(self.user)
        deps = self.client.get_json("/_dash-dependencies")
        self.layout = self.client.get_json("/_dash-layout")
        self.bodies = Bodies(deps, self.layout)
        self.deps = self.bodies.deps
        self.context = self.bodies.props[CONTEXT][1].get("data") or {}
        self.router = _router_key(self.deps)
        self.sync, self.nav = _shell_keys(self.deps)
        self.views = views(self.context, n_views)
        self.stores = {label: store_value(search, self.context) for label, search in self.views}

    def values(self, label: str, path: str) -> dict[str, Any]:
        search = dict(self.views)[label]
        return {
            f"{FILTERS}.data": self.stores[label],
            "_pages_location.pathname": path,
            "_pages_location.search": search,
            "shell-url.pathname": path,
            "shell-url.search": search,
            "getRowsRequest": FIRST_BLOCK,
        }

    def open_page(self, path: str) -> tuple[set[str] | None, float, int]:
        """Run the router for a page; return (the page's component ids or None if refused, ms, bytes)."""
        body = self.bodies.body(
            self.router,
            self.values("all dates", path),
            ["_pages_location.pathname", "_pages_location.search"],
        )
        status, data, ms = self.client.callback(body)
        if status in (401, 403):
            return None, ms, len(data)
        response = _check(status, data, f"router {path}")
        content = (response.get(ROUTER_OUTPUT) or {}).get("children")
        return self.bodies.learn(content), ms, len(data)

    def explorer_grid(self, label: str, path: str) -> Any:
        """Run the Explorer's refresh callback for a view and learn the grid it makes."""
        key = next(k for k in self.deps if any(i == "explorer-grid-holder" for i in _output_ids(k)))
        status, data, _ = self.client.callback(
            self.bodies.body(key, self.values(label, path), [f"{FILTERS}.data"])
        )
        response = _check(status, data, "explorer refresh")
        self.bodies.learn(response)
        return _grid_of(response)


def _grid_callbacks(deps: Mapping[str, Any]) -> list[str]:
    """The server callbacks of the Explorer grid's requests (browser-side ones never reach the server)."""
    return [
        k
        for k, d in deps.items()
        if not d.get("clientside_function")
        and any(isinstance(s["id"], dict | str) and GRID_TYPE in str(s["id"]) for s in d["inputs"])
    ]


class Tally:
    """Timings of one page's callbacks by pass: ``cold`` (the role's first), ``miss`` (a view this
    user had not asked for: the result cache cannot answer), ``hit`` (the same views again)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.times: dict[str, dict[str, list[float]]] = {}
        self.sizes: dict[str, list[int]] = {}
        self.statuses: dict[str, set[int]] = {}

    def call(self, key: str, kind: str, body: dict[str, Any]) -> None:
        status, data, ms = self.client.callback(body)
        self.statuses.setdefault(key, set()).add(status)
        if status != 200:  # refused by the policy: not a latency
            return
        self.sizes.setdefault(key, []).append(len(data))
        self.times.setdefault(key, {"cold": [], "miss": [], "hit": []})[kind].append(ms)

    def rows(self, role: str, page: str, shell: tuple[str, ...]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for key, statuses in self.statuses.items():
            parts = self.times.get(key)
            base = {
                "role": role,
                "page": page,
                "callback": key,
                "name": short(key),
                "status": sorted(statuses),
            }
            if not parts or not parts["miss"]:
                out.append({**base, "refused": True})
                continue
            miss, hit = parts["miss"], parts["hit"]
            out.append(
                {
                    **base,
                    "shell": key in shell,
                    "cold_ms": parts["cold"][0] if parts["cold"] else None,
                    "p50_ms": statistics.median(miss),
                    "p95_ms": p95(miss),
                    "max_ms": max(miss),
                    "hit_p50_ms": statistics.median(hit) if hit else None,
                    "hit_p95_ms": p95(hit) if hit else None,
                    "all_p95_ms": p95(miss + hit),
                    "n": len(miss),
                    "bytes": int(statistics.median(self.sizes[key])),
                }
            )
        return out


def replay_page(session: Session, page: str, path: str, keys: list[str], labels: list[str]) -> Tally:
    """What a fresh load of the page fires: the role's first view (cold), each view of ``labels`` once
    (misses), then each again (hits, on the worker that answered: this client keeps its connection)."""
    tally = Tally(session.client)
    grid_keys = _grid_callbacks(session.deps) if page == "explorer" else []
    routed = ["_pages_location.pathname", "_pages_location.search"]
    plan = [("cold", session.views[0][0]), *(("miss", x) for x in labels), *(("hit", x) for x in labels)]
    for kind, label in plan:
        vals = session.values(label, path)
        tally.call(session.router, kind, session.bodies.body(session.router, vals, routed))
        first_load = {**vals, f"{FILTERS}.data": None}
        tally.call(session.sync, kind, session.bodies.body(session.sync, first_load, ["shell-url.search"]))
        tally.call(session.nav, kind, session.bodies.body(session.nav, vals, [f"{FILTERS}.data"]))
        for key in keys:
            tally.call(key, kind, session.bodies.body(key, vals, [f"{FILTERS}.data"]))
        if grid_keys:  # the new grid asks for its first block: rows, and count + export links
            grid = session.explorer_grid(label, path)
            changed = f"{_id_key(grid)}.getRowsRequest"
            with_grid = {**vals, changed: FIRST_BLOCK}
            for key in grid_keys:
                tally.call(key, kind, session.bodies.body(key, with_grid, [changed]))
    return tally


def measure_callbacks(
    base: str, roles: list[str], k: int, say: Callable[..., None]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Replay page loads per role; return (rows per role/page/callback, refused pages and callbacks)."""
    rows: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    for role in roles:
        session = Session(base, role, 1 + k * len(PAGES))
        say(
            f"  {role} ({session.user}); views: "
            + f"{len(session.views)} views: all dates, then "
            + "; ".join(lbl for lbl, _ in session.views[1:4])
            + " …"
        )
        for index, (page, path) in enumerate(PAGES):
            page_ids, _, _ = session.open_page(path)
            if page_ids is None:
                refused.append({"role": role, "page": page})
                continue
            keys = page_callbacks(session.deps, page_ids)
            labels = [label for label, _ in session.views[1 + index * k : 1 + (index + 1) * k]]
            tally = replay_page(session, page, path, keys, labels)
            mine = tally.rows(role, page, (session.router, session.sync, session.nav))
            refused += [{"role": role, "page": page, "callback": r["name"]} for r in mine if r.get("refused")]
            mine = [r for r in mine if not r.get("refused")]
            rows += mine
            worst = max(mine, key=lambda r: r["p95_ms"])
            say(
                f"    {page:<13} {len(mine) - 3:2d} callbacks (+3 shell); worst p95 "
                f"{worst['p95_ms']:7.1f} ms {worst['name']}",
                flush=True,
            )
        session.client.close()
    return rows, refused


# -- 3. Explorer first page ------------------------------------------------------------------------


def measure_explorer(base: str, k: int, say: Callable[..., None]) -> list[dict[str, Any]]:
    """The grid's first block of claims of one payer, sorted by submitted date descending, then every
    table's default view (the period the dashboard opens on, the table's own order).

    ``first`` is the first call of a case: the first block's answer then includes a count that misses
    the count cache (later calls of the same view hit it), what a user waits for on a view new to the
    server.
    """
    session = Session(base, "analyst")
    page_ids, _, _ = session.open_page("/explorer")
    if page_ids is None:
        return []
    payers = (session.context.get("options") or {}).get("payer") or []
    rows_key = next(
        k for k in _grid_callbacks(session.deps) if any(p == "getRowsResponse" for _, p in output_specs(k))
    )
    status_key = next(k for k in _grid_callbacks(session.deps) if k != rows_key)
    sort = [{"colId": "submitted_date", "sort": "desc"}]
    cases = []
    for payer in payers[: 2 if k > 5 else 1]:
        cases.append((f"filter bar payer={payer}", [("payer", payer)], {}))
        cases.append(
            (
                f"grid filter payer equals {payer}",
                [],
                {"payer": {"filterType": "text", "type": "equals", "filter": payer}},
            )
        )
    cases = [(label, [("table", "claims"), *extra], model, sort) for label, extra, model in cases]
    from warehouse.explorer import TABLES

    cases += [(f"{t}: default view", [("table", t)], {}, []) for t in TABLES]
    out = []
    for label, extra, model, sort in cases:
        search = "?" + urlencode(extra)
        store = store_value(search, session.context)
        vals = {
            f"{FILTERS}.data": store,
            "_pages_location.pathname": "/explorer",
            "_pages_location.search": search,
        }
        key = next(kk for kk in session.deps if any(i == "explorer-grid-holder" for i in _output_ids(kk)))
        status, data, refresh_ms = session.client.callback(
            session.bodies.body(key, vals, [f"{FILTERS}.data"])
        )
        response = _check(status, data, "explorer refresh")
        session.bodies.learn(response)
        grid = _grid_of(response)
        changed = f"{_id_key(grid)}.getRowsRequest"
        request = {"startRow": 0, "endRow": 100, "sortModel": sort, "filterModel": model}
        vals = {**vals, changed: request}
        times: dict[str, list[float]] = {"rows": [], "status": []}
        first: dict[str, float] = {}
        rows_seen = 0
        count = None
        for i in range(k + 1):
            for name, cb in (("rows", rows_key), ("status", status_key)):
                st, data, ms = session.client.callback(session.bodies.body(cb, vals, [changed]))
                answer = _check(st, data, f"explorer {name}")
                if i:
                    times[name].append(ms)
                else:
                    first[name] = ms
                if name == "rows":
                    resp = next(iter(answer.values()), {}).get("getRowsResponse") or {}
                    rows_seen = len(resp.get("rowData") or [])
                    count = resp.get("rowCount", count)
        row = {
            "case": label,
            "refresh_ms": refresh_ms,
            "rows_p50_ms": statistics.median(times["rows"]),
            "rows_p95_ms": p95(times["rows"]),
            "status_p50_ms": statistics.median(times["status"]),
            "status_p95_ms": p95(times["status"]),
            "rows_first_ms": first["rows"],
            "status_first_ms": first["status"],
            "rows_returned": rows_seen,
            "row_count": count,
        }
        out.append(row)
        say(
            f"  {label:<44} first block p50 {row['rows_p50_ms']:6.1f} / p95 {row['rows_p95_ms']:6.1f} ms; "
            f"count+links p50 {row['status_p50_ms']:6.1f} / p95 {row['status_p95_ms']:6.1f} ms; "
            f"first call {row['rows_first_ms']:.0f} ms; {rows_seen} of {count or 0:,} rows",
            flush=True,
        )
    session.client.close()
    return out


# -- 4. export -------------------------------------------------------------------------------------


@contextmanager
def sampling(server: Server, every: float = 0.05) -> Iterator[dict[int, float]]:
    """Sample the workers' VmRSS while the block runs; yields {pid: peak MiB} (filled at the end)."""
    peaks: dict[int, float] = {}
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            for pid, rss in server.rss().items():
                if "VmRSS" in rss:
                    peaks[pid] = max(peaks.get(pid, 0.0), rss["VmRSS"])
            stop.wait(every)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield peaks
    finally:
        stop.set()
        thread.join()


def measure_export(server: Server, table: str, say: Callable[..., None]) -> dict[str, Any]:
    """Stream a de-identified CSV export of a whole table as the analyst; discard it."""
    session = Session(server.base, "analyst")
    resolved = store_value("", session.context)["resolved"]
    path = f"/export/deidentified/{table}.csv{resolved}{'&' if resolved else '?'}table={table}"
    before = server.rss()
    client = session.client
    conn = http.client.HTTPConnection(client.host, client.port, timeout=600)
    total = newlines = 0
    first_byte = None
    with sampling(server) as peaks:
        t = time.perf_counter()
        conn.request("GET", path, headers=client._headers())
        resp = conn.getresponse()
        status = resp.status
        with Path(os.devnull).open("wb") as sink:
            while chunk := resp.read(1 << 20):
                if first_byte is None:
                    first_byte = time.perf_counter() - t
                total += len(chunk)
                newlines += chunk.count(b"\n")
                sink.write(chunk)
        seconds = time.perf_counter() - t
    conn.close()
    client.close()
    after = server.rss()
    if status != 200:
        raise RuntimeError(f"export {path}: HTTP {status}")
    base_rss = {pid: r.get("VmRSS", 0.0) for pid, r in before.items()}
    grew = {pid: peaks.get(pid, 0.0) - base_rss.get(pid, 0.0) for pid in peaks}
    streamer = max(grew, key=lambda p: grew[p]) if grew else None
    out = {
        "path": path,
        "rows": max(0, newlines - 1),
        "bytes": total,
        "seconds": seconds,
        "first_byte_s": first_byte,
        "mb_per_s": total / 1e6 / seconds if seconds else None,
        "rows_per_s": max(0, newlines - 1) / seconds if seconds else None,
        "worker_rss_before_mib": {str(p): r.get("VmRSS") for p, r in before.items()},
        "worker_rss_peak_mib": {str(p): v for p, v in peaks.items()},
        "worker_hwm_after_mib": {str(p): r.get("VmHWM") for p, r in after.items()},
        "streaming_worker": streamer,
        "peak_rss_mib": peaks.get(streamer) if streamer else None,
        "rss_growth_mib": grew.get(streamer) if streamer else None,
    }
    say(
        f"  {out['rows']:,} rows, {total / 1e6:,.1f} MB in {seconds:.1f} s ({out['mb_per_s']:.1f} MB/s, "
        f"{out['rows_per_s']:,.0f} rows/s, first byte {first_byte or 0:.2f} s); streaming worker peak RSS "
        f"{out['peak_rss_mib'] or 0:,.0f} MiB (+{out['rss_growth_mib'] or 0:,.0f} MiB over its "
        f"{base_rss.get(streamer, 0):,.0f} MiB before)",
        flush=True,
    )
    return out


# -- 2. navigation in Chromium ---------------------------------------------------------------------


def _wait_script() -> str:
    """One script returning [busy, graphs, ready, grid rows, loading rows] (browser_helpers' checks)."""
    sys.path.insert(0, str(ROOT / "tests" / "browser"))
    try:
        from browser_helpers import BUSY_JS, GRAPHS_JS
    finally:
        sys.path.remove(str(ROOT / "tests" / "browser"))
    return (
        f"const busy = (function() {{ {BUSY_JS} }})();\n"
        f"const graphs = (function() {{ {GRAPHS_JS} }})();\n"
        "const holder = document.getElementById('explorer-grid-holder');\n"
        "return [busy, graphs, document.readyState,\n"
        "  holder ? holder.querySelectorAll(\n"
        "    '.ag-center-cols-container .ag-row:not(.ag-row-loading)').length : -1,\n"
        "  document.querySelectorAll('.ag-row-loading').length];"
    )


RESOURCES_JS = """
const cbs = performance.getEntriesByType('resource').filter(e => e.name.includes('_dash-update-component'));
return {callbacks: cbs.length, slowest_ms: Math.max(0, ...cbs.map(e => e.duration)),
        bytes: cbs.reduce((s, e) => s + (e.encodedBodySize || 0), 0)};
"""


def measure_navigation(
    base: str, navigations: int, context_views: list[tuple[str, str]], say: Callable[..., None]
) -> list[dict[str, Any]]:
    """Per page: a visit to warm the browser's caches, then ``navigations`` timed fresh loads."""
    from selenium.webdriver.common.by import By

    from dashboard import headless

    driver = headless.driver()
    script = _wait_script()
    out = []
    try:
        driver.set_window_size(1280, 800)
        driver.get(base + "/login")
        driver.find_element(By.NAME, "username").send_keys(BROWSER_USER[0])
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "login-submit").click()
        deadline = time.monotonic() + 30
        while "/login" in driver.current_url:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the browser could not log in: {driver.current_url}")
            time.sleep(0.1)

        def visit(url: str, explorer: bool) -> tuple[float, dict[str, Any]]:
            t = time.perf_counter()
            driver.get(url)
            deadline = time.monotonic() + 60
            while True:
                busy, graphs, ready, grid_rows, loading = driver.execute_script(script)
                drawn = all(g["traces"] > 0 or g["empty"] for g in graphs)
                if (
                    ready == "complete"
                    and drawn
                    and not busy
                    and not loading
                    and (not explorer or grid_rows > 0)
                ):
                    seconds = time.perf_counter() - t
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not draw within 60 s: busy {busy}, graphs {graphs}")
                time.sleep(0.025)
            info = driver.execute_script(RESOURCES_JS)
            info["graphs"] = len(graphs)
            return seconds, info

        def url(path: str, search: str, explorer: bool) -> str:
            if explorer:
                search = (search + "&" if search else "?") + "table=claims"
            return base + path + search

        for index, (page, path) in enumerate(PAGES):
            explorer = page == "explorer"
            cold, _ = visit(url(path, context_views[0][1], explorer), explorer)
            # A view this user has not asked for on each navigation: the result cache cannot answer.
            mine = context_views[1 + index * navigations : 1 + (index + 1) * navigations]
            times, infos = [], []
            for _, search in mine:
                seconds, info = visit(url(path, search, explorer), explorer)
                times.append(seconds)
                infos.append(info)
            again, _ = visit(url(path, mine[0][1], explorer), explorer)  # a revisit: cache hits possible
            row = {
                "page": page,
                "cold_s": cold,
                "median_s": statistics.median(times),
                "max_s": max(times),
                "revisit_s": again,
                "times_s": times,
                "graphs": infos[0]["graphs"],
                "callbacks": infos[0]["callbacks"],
                "slowest_callback_ms": statistics.median(i["slowest_ms"] for i in infos),
                "callback_bytes": int(statistics.median(i["bytes"] for i in infos)),
            }
            out.append(row)
            say(
                f"  {page:<13} median {row['median_s']:5.2f} s (max {row['max_s']:5.2f}, "
                f"first visit {cold:5.2f}, revisit {again:5.2f}); "
                f"{row['graphs']} graphs, {row['callbacks']} callbacks, slowest in browser "
                f"{row['slowest_callback_ms']:6.0f} ms, {row['callback_bytes'] / 1e3:,.0f} kB",
                flush=True,
            )
    finally:
        driver.quit()
    return out


# -- profiling of misses ---------------------------------------------------------------------------


def profile_callbacks(
    pointer: Path, targets: list[tuple[str, str, str]], repeat: int = 5
) -> list[dict[str, Any]]:
    """Run callbacks in this process (the same app, Flask's test client), every query timed.

    ``targets`` are (role, page, callback key); each runs on three views, ``repeat`` times after a
    warm-up, with the result cache emptied before each call (a miss, as a new view is). Returns, per
    callback and view: total ms inside Flask, the queries' ms by name (catalog queries, and the
    Explorer's page and count), the rest (figure building, suppression, audit, JSON) and the payload.
    """
    os.environ["HIM_WAREHOUSE"] = str(pointer)
    os.environ.setdefault("HIM_SECRET_KEY", "benchmark-secret-0123456789abcdef")
    from dashboard.app import create_app
    from warehouse import catalog, explorer

    try:
        from dashboard import result_cache
    except ImportError:  # an app without a result cache
        result_cache = None  # type: ignore[assignment]
    app = create_app()
    spent: list[tuple[str, float, int]] = []
    originals = {
        (catalog, "run"): catalog.run,
        (explorer, "page"): explorer.page,
        (explorer, "count"): explorer.count,
    }

    def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(first: Any, *args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            value = fn(first, *args, **kwargs)
            name = first if isinstance(first, str) else label
            spent.append((name, (time.perf_counter() - t) * 1000, getattr(value, "height", 0)))
            return value

        return wrapper

    for (module, attr), fn in originals.items():
        setattr(module, attr, timed(f"explorer.{attr}()", fn))
    out = []
    try:
        for role, page, key in targets:
            client = app.server.test_client()
            token = re.search(
                r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)
            )
            assert token
            user = {"username": ROLE_USERS[role][0], "password": PASSWORD, "csrf_token": token.group(1)}
            client.post("/login", data=user)
            deps = client.get("/_dash-dependencies").get_json()
            bodies = Bodies(deps, client.get("/_dash-layout").get_json())
            context = bodies.props[CONTEXT][1].get("data") or {}
            path = dict(PAGES)[page]
            router = _router_key(bodies.deps)
            grid_key = key in _grid_callbacks(bodies.deps)
            for label, search in views(context, 3):
                vals: dict[str, Any] = {
                    f"{FILTERS}.data": store_value(search, context),
                    "_pages_location.pathname": path,
                    "_pages_location.search": search,
                }
                resp = client.post("/_dash-update-component", json=bodies.body(router, vals, []))
                bodies.learn(resp.get_json())
                changed = [f"{FILTERS}.data"]
                if grid_key:
                    refresh = next(k for k in bodies.deps if "explorer-grid-holder" in _output_ids(k))
                    resp = client.post("/_dash-update-component", json=bodies.body(refresh, vals, changed))
                    bodies.learn(resp.get_json())
                    changed = [f"{_id_key(_grid_of(resp.get_json()))}.getRowsRequest"]
                    vals[changed[0]] = FIRST_BLOCK
                body = bodies.body(key, vals, changed)
                totals, queries, payload = [], [], 0
                by_name: dict[str, list[float]] = {}
                rows: dict[str, int] = {}
                for i in range(repeat + 1):
                    if result_cache is not None:
                        result_cache.CACHE.clear()
                    spent.clear()
                    t = time.perf_counter()
                    resp = client.post("/_dash-update-component", json=body)
                    total = (time.perf_counter() - t) * 1000
                    payload = len(resp.get_data())
                    if i:
                        totals.append(total)
                        queries.append(sum(ms for _, ms, _ in spent))
                        for name, ms, height in spent:
                            by_name.setdefault(name, []).append(ms)
                            rows[name] = height
                out.append(
                    {
                        "role": role,
                        "page": page,
                        "callback": short(key),
                        "view": label,
                        "status": resp.status_code,
                        "total_ms": statistics.median(totals),
                        "queries_ms": statistics.median(queries),
                        "rest_ms": statistics.median(totals) - statistics.median(queries),
                        "payload_bytes": payload,
                        "queries": {
                            n: {"ms": statistics.median(v), "rows": rows[n]} for n, v in by_name.items()
                        },
                    }
                )
    finally:
        for (module, attr), fn in originals.items():
            setattr(module, attr, fn)
    return out


# -- the run ---------------------------------------------------------------------------------------


def _prepare(workdir: Path, encounters: int) -> Path:
    from warehouse.db import published_generation
    from warehouse.paths import WarehousePaths

    gen = published_generation(WarehousePaths(workdir / f"wh-{encounters}" / "him.duckdb"))
    if gen is not None:
        return gen
    import query_bench

    gen, _ = query_bench.prepare(workdir, encounters, reload=False)
    return gen


def _met(value: float | None, target: float) -> str:
    if value is None:
        return "n/a"
    if target == float("inf"):
        return "-"
    return "yes" if value <= target else "MISS"


def run(
    encounters: int = 1_000_000,
    workdir: Path | str = Path("/tmp/lb"),
    *,
    k: int = 20,
    quick: bool = False,
    navigations: int | None = None,
    browser: bool = True,
    export: bool = True,
    export_table: str = "diagnoses",
    roles: tuple[str, ...] = ("leadership", "manager", "analyst"),
    profile: bool = False,
    quiet: bool = False,
) -> dict[str, Any]:
    """Measure the dashboard on the demo warehouse of ``encounters`` under ``workdir``; return every figure.

    ``quick``: k = 5 and 3 navigations per page. The result's ``summary`` holds the headline figures
    ``benchmarks/run.py`` prints beside their targets.
    """

    def say(*parts: Any, **kw: Any) -> None:
        if not quiet:
            print(*parts, **kw)

    if quick:
        k = min(k, 5)
    navigations = navigations or (3 if quick else 5)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    gen = _prepare(workdir, encounters)
    load_before = os.getloadavg()
    server = Server(gen)
    result: dict[str, Any] = {
        "encounters": encounters,
        "generation": str(gen),
        "k": k,
        "navigations": navigations,
        "cpus": os.cpu_count(),
        "audit_fsync": os.environ.get("HIM_AUDIT_FSYNC", "1") not in ("0", "false", "no"),
    }
    try:
        server.start()
        result["server_start_s"] = server.start_seconds
        say(
            f"him serve on {server.base} (workers {server.worker_pids()}), warehouse {gen} "
            f"({gen.stat().st_size / 1e6:,.0f} MB), {encounters:,} encounters; started in "
            f"{server.start_seconds:.1f} s; load average {load_before[0]:.2f} {load_before[1]:.2f}"
        )
        result["rss_start_mib"] = {str(p): r for p, r in server.rss().items()}

        say(f"\n1. callbacks, k = {k} per callback after one warm-up pass")
        rows, refused = measure_callbacks(server.base, list(roles), k, say)
        result["callbacks"] = rows
        result["refused_pages"] = refused

        say("\n3. Explorer: first block of claims of one payer, sorted by submitted date desc")
        result["explorer"] = measure_explorer(server.base, k, say)

        if export:
            say(f"\n4. export: de-identified CSV of {export_table}, whole range, as the analyst")
            result["export"] = measure_export(server, export_table, say)

        if browser:
            from dashboard import headless

            if headless.available():
                say(f"\n2. navigation to charts drawn, headless Chromium, median of {navigations}")
                analyst = Session(server.base, "analyst", 1 + navigations * len(PAGES))
                result["navigation"] = measure_navigation(server.base, navigations, analyst.views, say)
                analyst.client.close()
            else:
                say("\n2. navigation: skipped (no chromium / chromedriver)")

        result["rss_end_mib"] = {str(p): r for p, r in server.rss().items()}
    finally:
        server_log = server.log.read_text()[-4000:] if server.log.exists() else ""
        pointer = server.pointer
        if not profile:
            server.stop()
    result["server_log_tail"] = server_log
    load_after = os.getloadavg()
    result["loadavg"] = [load_before, load_after]

    summary = summarise(result)
    result["summary"] = summary
    report(result, say)

    if profile:
        try:
            data_rows = [r for r in result["callbacks"] if not r["shell"]]
            misses = [r for r in data_rows if r["p95_ms"] > CALLBACK_TARGET_MS]
            picked = misses or sorted(data_rows, key=lambda r: -r["p95_ms"])[:4]
            if result.get("explorer") and not any("getRowsResponse" in r["callback"] for r in picked):
                picked += [r for r in data_rows if "getRowsResponse" in r["callback"]][:1]
            seen, targets = set(), []
            for r in sorted(picked, key=lambda r: -r["p95_ms"]):
                if (r["page"], r["callback"]) not in seen:
                    seen.add((r["page"], r["callback"]))
                    targets.append((r["role"], r["page"], r["callback"]))
            say(f"\nprofile of {len(targets)} callbacks in this process (median of 5 per view):")
            result["profile"] = profile_callbacks(pointer, targets)
            for p in result["profile"]:
                top = sorted(p["queries"].items(), key=lambda kv: -kv[1]["ms"])[:3]
                say(
                    f"  {p['role']:<10} {p['callback']:<40} {p['view']:<20} total {p['total_ms']:6.1f} ms = "
                    f"queries {p['queries_ms']:6.1f} + rest {p['rest_ms']:6.1f}; payload "
                    f"{p['payload_bytes'] / 1e3:,.0f} kB; "
                    + ", ".join(f"{n} {q['ms']:.0f} ms ({q['rows']} rows)" for n, q in top)
                )
        finally:
            server.stop()
    return result


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    """The headline figures (the keys benchmarks/run.py reads)."""
    s: dict[str, Any] = {}
    rows = result.get("callbacks") or []
    if rows:
        worst = max(rows, key=lambda r: r["p95_ms"])
        s["callback_p95_ms"] = worst["p95_ms"]
        s["callback_worst"] = f"{worst['role']} {worst['page']} {worst['name']}"
        s["callbacks_over_target"] = sum(r["p95_ms"] > CALLBACK_TARGET_MS for r in rows)
        s["callbacks_measured"] = len(rows)
        pages: dict[str, dict[str, Any]] = {}
        for r in rows:
            if r["page"] not in pages or r["p95_ms"] > pages[r["page"]]["p95_ms"]:
                pages[r["page"]] = r
        s["page_worst_callback"] = {
            p: {"p95_ms": r["p95_ms"], "callback": r["name"], "role": r["role"]} for p, r in pages.items()
        }
    nav = result.get("navigation") or []
    if nav:
        slow = max(nav, key=lambda r: r["median_s"])
        s["page_drawn_s"] = slow["median_s"]
        s["page_worst"] = slow["page"]
    exp = result.get("explorer") or []
    if exp:
        s["explorer_first_page_ms"] = max(r["rows_p95_ms"] for r in exp)
        s["explorer_count_ms"] = max(r["status_p95_ms"] for r in exp)
        s["explorer_first_call_ms"] = max(r.get("rows_first_ms", 0.0) for r in exp)
    ex = result.get("export")
    if ex:
        s["export_seconds"] = ex["seconds"]
        s["export_mb_per_s"] = ex["mb_per_s"]
        s["export_rows"] = ex["rows"]
        s["export_peak_rss_mib"] = ex["peak_rss_mib"]
        s["export_note"] = (
            f"{ex['rows']:,} rows, {ex['bytes'] / 1e6:,.0f} MB in {ex['seconds']:.1f} s "
            f"({ex['mb_per_s']:.1f} MB/s), +{ex['rss_growth_mib']:,.0f} MiB while streaming"
        )
    end = result.get("rss_end_mib") or {}
    if end:
        s["worker_rss_mib"] = max(r.get("VmRSS", 0.0) for r in end.values())
        s["worker_hwm_mib"] = max(r.get("VmHWM", 0.0) for r in end.values())
    return s


def report(result: dict[str, Any], say: Callable[..., None]) -> None:
    """Print the per-callback table and the one table of figures beside their targets."""
    rows = result.get("callbacks") or []
    if rows:
        say(
            f"\ncallbacks, ms: cold = the role's first call; p50 / p95 over k = {result['k']} views new to "
            "the user (result-cache misses); hit = the same views again, same connection"
        )
        header = (
            f"{'role':<10} {'page':<13} {'callback':<44} {'cold':>7} {'p50':>7} {'p95':>7} {'hit p50':>7}"
            f" {'hit p95':>7} {'kB':>6}"
        )
        say(header)
        say("-" * len(header))
        for r in rows:
            mark = "  MISS" if r["p95_ms"] > CALLBACK_TARGET_MS else ""
            first = f"{r['hit_p50_ms']:7.1f}" if r["hit_p50_ms"] is not None else f"{'-':>7}"
            repeat = f"{r['hit_p95_ms']:7.1f}" if r["hit_p95_ms"] is not None else f"{'-':>7}"
            say(
                f"{r['role']:<10} {r['page']:<13} {r['name'][:44]:<44} {r['cold_ms'] or 0:7.1f} "
                f"{r['p50_ms']:7.1f}"
                f" {r['p95_ms']:7.1f} {first} {repeat} {r['bytes'] / 1e3:6.1f}{mark}"
            )
        if result.get("refused_pages"):
            say(
                "refused by the policy (as declared): "
                + ", ".join(" ".join(str(v) for v in x.values()) for x in result["refused_pages"])
            )
    s = result["summary"]
    la = result["loadavg"]
    say(f"\n{'figure':<58} {'measured':>12} {'target':>11} {'met':>5}  note\n" + "-" * 110)

    def line(name: str, value: float | None, unit: str, target: float, shown: str, note: str = "") -> None:
        measured = "n/a" if value is None else f"{value:,.1f} {unit}"
        say(f"{name:<58} {measured:>12} {shown:>11} {_met(value, target):>5}  {note}")

    for role in ("leadership", "manager", "analyst"):
        mine = [r for r in rows if r["role"] == role]
        if mine:
            w = max(mine, key=lambda r: r["p95_ms"])
            line(
                f"callback p95, worst, {role}",
                w["p95_ms"],
                "ms",
                CALLBACK_TARGET_MS,
                "<= 150 ms",
                f"{w['page']} {w['name']}",
            )
    for page, w in (s.get("page_worst_callback") or {}).items():
        line(
            f"  page {page}: worst callback p95",
            w["p95_ms"],
            "ms",
            CALLBACK_TARGET_MS,
            "<= 150 ms",
            f"{w['role']} {w['callback']}",
        )
    for n in result.get("navigation") or []:
        line(
            f"navigation to charts drawn: {n['page']} (median)",
            n["median_s"],
            "s",
            PAGE_TARGET_S,
            "<= 1.5 s",
            f"max {n['max_s']:.2f} s, {n['callbacks']} callbacks, slowest {n['slowest_callback_ms']:.0f} ms",
        )
    for e in result.get("explorer") or []:
        line(
            f"Explorer first block p95: {e['case']}"[:58],
            e["rows_p95_ms"],
            "ms",
            EXPLORER_TARGET_MS,
            "<= 300 ms",
            f"p50 {e['rows_p50_ms']:.0f} ms, first call {e.get('rows_first_ms', float('nan')):.0f} ms; "
            f"count+links p95 {e['status_p95_ms']:.0f} ms",
        )
    ex = result.get("export")
    if ex:
        line("export CSV: seconds", ex["seconds"], "s", float("inf"), "-", s.get("export_note", ""))
        line("export CSV: MB/s", ex["mb_per_s"], "MB/s", float("inf"), "-", f"{ex['rows_per_s']:,.0f} rows/s")
        line(
            "export CSV: streaming worker peak RSS",
            ex["peak_rss_mib"],
            "MiB",
            WORKER_RSS_TARGET_MIB,
            "bounded",
            f"+{ex['rss_growth_mib']:,.0f} MiB over before",
        )
    end = result.get("rss_end_mib") or {}
    for pid, r in sorted(end.items()):
        line(
            f"server RSS after the run, worker {pid}",
            r.get("VmRSS"),
            "MiB",
            WORKER_RSS_TARGET_MIB,
            "<= 1.5 GiB",
            f"peak (VmHWM) {r.get('VmHWM', 0):,.0f} MiB",
        )
    say(
        f"load average {la[0][0]:.2f} {la[0][1]:.2f} before, {la[1][0]:.2f} {la[1][1]:.2f} after; "
        f"{result['cpus']} cores; audit fsync {'on' if result['audit_fsync'] else 'off'}"
    )


def main() -> None:
    """Run the benchmark and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encounters", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/lb"), help="holds extract-N and wh-N")
    ap.add_argument("-k", type=int, default=20, help="timed passes per callback")
    ap.add_argument("--quick", action="store_true", help="k = 5, 3 navigations per page")
    ap.add_argument("--navigations", type=int, default=None, help="timed navigations per page (default 5)")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--export-table", default="diagnoses")
    ap.add_argument("--roles", default="leadership,manager,analyst")
    ap.add_argument("--profile", action="store_true", help="profile the callbacks over target in-process")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    result = run(
        args.encounters,
        args.workdir,
        k=args.k,
        quick=args.quick,
        navigations=args.navigations,
        browser=not args.no_browser,
        export=not args.no_export,
        export_table=args.export_table,
        roles=tuple(r for r in args.roles.split(",") if r),
        profile=args.profile,
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
