"""Users, roles, facility restrictions, password hashes and server-side sessions.

The auth store is one SQLite file beside the warehouse pointer, ``<warehouse>.auth.sqlite`` (never
inside a generation, so a load or a copied generation carries no credentials). It holds:

* ``users``: name, roles (``leadership``, ``manager``, ``analyst``, ``admin``; several per user), the
  facilities the user is limited to (none = all), an argon2id hash, ``must_change`` and ``disabled``;
* ``throttle``: consecutive failed logins per user name (known or not, so the answer never tells
  whether a name exists) and the time the name is locked until;
* ``sessions``: the SHA-256 of each live session token (never the token), its user, creation and
  last-activity times and its CSRF token.

Passwords are hashed with argon2id at or above the OWASP floor (m = 19 MiB, t = 2, p = 1); raise the
cost with ``HIM_ARGON2_MEMORY_KIB`` / ``HIM_ARGON2_TIME_COST`` (values below the floor are refused).
Hashes made with weaker parameters are upgraded at the next successful login.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from warehouse.errors import HimError, UsageProblem
from warehouse.paths import WarehousePaths

ROLES: tuple[str, ...] = ("leadership", "manager", "analyst", "admin")
#: Roles that see warehouse data (``admin`` alone sees users and the audit log only).
DATA_ROLES: frozenset[str] = frozenset({"leadership", "manager", "analyst"})
#: OWASP Password Storage Cheat Sheet floor for argon2id.
ARGON2_MIN_MEMORY_KIB = 19_456
ARGON2_MIN_TIME_COST = 2
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
#: Consecutive failures before a name is locked; the lock then doubles from 1 minute up to 1 hour.
LOCK_AFTER = 5
LOCK_BASE_SECONDS = 60
LOCK_MAX_SECONDS = 3_600
FIRST_ADMIN = "admin"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_FACILITY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
_COMMON = frozenset(
    {
        "password1234",
        "123456789012",
        "qwertyuiop12",
        "letmein12345",
        "welcome12345",
        "changeme1234",
        "administrator",
        "password123!",
        "p@ssw0rd1234",
        "iloveyou1234",
        "hospital1234",
        "admin1234567",
    }
)

#: The demo accounts ``him up`` creates (documented in README.md and docs/security.md). Their
#: passwords are public: never create them on a warehouse with real patient data.
DEMO_ACCOUNTS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str], ...] = (
    ("leader", ("leadership",), (), "demo-leadership-pw"),
    ("manager", ("manager",), (), "demo-manager-pw"),
    ("analyst", ("analyst",), (), "demo-analyst-pw"),
    ("admin", ("admin",), (), "demo-admin-pw"),
)


class AuthError(UsageProblem):
    """A user-store request that cannot be done (unknown user, bad role, weak password …)."""


class WeakPassword(AuthError):
    """The new password breaks the password rules; the message says which."""


def store_path(paths: WarehousePaths) -> Path:
    """The auth store of a warehouse: ``<pointer>.auth.sqlite`` beside the pointer."""
    return paths.pointer.with_name(paths.pointer.name + ".auth.sqlite")


def password_hasher() -> PasswordHasher:
    """Return the argon2id hasher (OWASP floor, raised by ``HIM_ARGON2_*``).

    Raises:
        HimError: a configured cost below the OWASP floor.
    """
    memory = int(os.environ.get("HIM_ARGON2_MEMORY_KIB", ARGON2_MIN_MEMORY_KIB))
    rounds = int(os.environ.get("HIM_ARGON2_TIME_COST", ARGON2_MIN_TIME_COST))
    if memory < ARGON2_MIN_MEMORY_KIB or rounds < ARGON2_MIN_TIME_COST:
        raise HimError(
            f"argon2id below the OWASP floor (m >= {ARGON2_MIN_MEMORY_KIB} KiB, "
            f"t >= {ARGON2_MIN_TIME_COST}) is not allowed"
        )
    return PasswordHasher(
        time_cost=rounds, memory_cost=memory, parallelism=1, hash_len=32, salt_len=16, type=Type.ID
    )


def check_name(name: str) -> str:
    """Return a valid user name (lower case letters, digits, ``._-``; up to 64).

    Raises:
        AuthError: not a valid name.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise AuthError(
            f"user name {name!r} is not accepted; use lower-case letters, digits, '.', '_' "
            "or '-' (up to 64, starting with a letter or digit)"
        )
    return name


def is_valid_name(name: str) -> bool:
    """True when ``name`` could be a user name (used to decide whether a failed login's name is logged)."""
    return isinstance(name, str) and bool(_NAME.match(name))


def check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """Return the roles in canonical order, without duplicates.

    Raises:
        AuthError: no role, or an unknown role.
    """
    out = []
    for role in roles:
        if role not in ROLES:
            raise AuthError(f"role {role!r} is not one of {', '.join(ROLES)}")
        if role not in out:
            out.append(role)
    if not out:
        raise AuthError(f"a user needs at least one role: {', '.join(ROLES)}")
    return tuple(r for r in ROLES if r in out)


def check_facilities(facilities: Iterable[str]) -> tuple[str, ...]:
    """Return facility ids without duplicates (empty = all facilities).

    Raises:
        AuthError: a facility id that is empty or has unusual characters.
    """
    out: list[str] = []
    for f in facilities:
        if not isinstance(f, str) or not _FACILITY.match(f):
            raise AuthError(f"facility {f!r} is not a facility id")
        if f not in out:
            out.append(f)
    return tuple(out)


def check_password(password: str, name: str | None = None) -> str:
    """Return the password when it follows the rules (NIST SP 800-63B style: length, not common).

    Raises:
        WeakPassword: too short, too long, the user name in it, or a well-known password.
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"a password may have at most {MAX_PASSWORD_LENGTH} characters")
    if name and name.lower() in password.lower():
        raise WeakPassword("a password may not contain the user name")
    if password.lower() in _COMMON or len(set(password)) < 4:
        raise WeakPassword("that password is too easy to guess")
    return password


def generate_password() -> str:
    """A one-time password: 20 characters from an unambiguous alphabet (~100 bits)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(20))


def token_hash(token: str) -> str:
    """What the store keeps of a session token: its SHA-256 (tokens are 256-bit random)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class User:
    """A user as stored (never the hash).

    Attributes:
        name: the login name.
        roles: the roles, canonical order.
        facilities: facility ids the user is limited to; empty = every facility.
        disabled: cannot log in; live sessions end.
        must_change: the password is a one-time password and must be changed before anything else.
        created_at: ISO time.
        last_login_at: ISO time of the last successful login, or None.
    """

    name: str
    roles: tuple[str, ...]
    facilities: tuple[str, ...]
    disabled: bool
    must_change: bool
    created_at: str
    last_login_at: str | None

    @property
    def data_roles(self) -> frozenset[str]:
        """The roles that see warehouse data."""
        return frozenset(self.roles) & DATA_ROLES


@dataclass(frozen=True)
class LoginResult:
    """The outcome of :meth:`UserStore.authenticate`.

    Attributes:
        ok: the password was right and the user may log in.
        user: the user when ``ok``.
        reason: ``ok``, ``invalid`` (unknown name, wrong password or disabled: one answer for all) or
            ``locked`` (too many failures; ``retry_after`` seconds).
        retry_after: seconds until the name is unlocked.
    """

    ok: bool
    user: User | None
    reason: str
    retry_after: int = 0


@dataclass(frozen=True)
class Session:
    """A live server-side session."""

    user: User
    created: float
    last_active: float
    csrf: str
    key: str  # the token's hash: what the store and the audit log refer to


_SCHEMA = """
create table if not exists users (
    name          text primary key,
    roles         text not null,
    facilities    text not null default '',
    password_hash text not null,
    must_change   integer not null default 0,
    disabled      integer not null default 0,
    created_at    text not null,
    updated_at    text not null,
    last_login_at text
);
create table if not exists throttle (
    name         text primary key,
    failures     integer not null,
    last_failure real not null,
    locked_until real not null default 0
);
create table if not exists sessions (
    key         text primary key,
    user        text not null,
    created     real not null,
    last_active real not null,
    csrf        text not null,
    ip          text
);
create index if not exists sessions_user on sessions(user);
"""


def clock() -> float:
    """The time used for sessions and lock-outs (tests replace it to move time forward)."""
    return time.time()


def _iso(ts: float | None = None) -> str:
    return dt.datetime.fromtimestamp(clock() if ts is None else ts, dt.UTC).isoformat(timespec="seconds")


def _split(text: str) -> tuple[str, ...]:
    return tuple(x for x in text.split(",") if x)


class UserStore:
    """The auth store of one warehouse.

    Args:
        path: the SQLite file (created with mode 0600 on first use).
        hasher: the argon2id hasher (default :func:`password_hasher`).
    """

    def __init__(self, path: Path, *, hasher: PasswordHasher | None = None) -> None:
        self.path = Path(path)
        self.hasher = hasher or password_hasher()
        self._ready = False
        self._lock = threading.Lock()
        # Verified against when a name is unknown, so the answer takes as long as for a wrong password.
        self._dummy = self.hasher.hash(secrets.token_hex(16))

    # -- plumbing ----------------------------------------------------------------------------------

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self._init()
        con = sqlite3.connect(self.path, timeout=15, isolation_level=None)
        try:
            con.execute("pragma busy_timeout = 15000")
            con.execute("pragma foreign_keys = on")
            yield con
        finally:
            con.close()

    def _init(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
            os.close(fd)
        con = sqlite3.connect(self.path, timeout=15, isolation_level=None)
        try:
            con.execute("pragma journal_mode = wal")
            con.executescript(_SCHEMA)
        finally:
            con.close()
        self._ready = True

    @staticmethod
    def _user(row: Sequence[object]) -> User:
        name, roles, facilities, must_change, disabled, created, last_login = row
        return User(
            str(name),
            _split(str(roles)),
            _split(str(facilities)),
            bool(disabled),
            bool(must_change),
            str(created),
            None if last_login is None else str(last_login),
        )

    _COLUMNS = "name, roles, facilities, must_change, disabled, created_at, last_login_at"

    # -- users -------------------------------------------------------------------------------------

    def get(self, name: str) -> User | None:
        """Return the user called ``name``, or None."""
        with self._db() as con:
            row = con.execute(f"select {self._COLUMNS} from users where name = ?", (name,)).fetchone()  # noqa: S608
        return None if row is None else self._user(row)

    def users(self) -> list[User]:
        """Return every user, by name."""
        with self._db() as con:
            rows = con.execute(f"select {self._COLUMNS} from users order by name").fetchall()  # noqa: S608
        return [self._user(r) for r in rows]

    def count(self) -> int:
        """How many users exist (disabled ones included)."""
        with self._db() as con:
            return int(con.execute("select count(*) from users").fetchone()[0])

    def add(
        self,
        name: str,
        roles: Iterable[str],
        facilities: Iterable[str] = (),
        *,
        password: str | None = None,
        must_change: bool | None = None,
    ) -> tuple[User, str | None]:
        """Create a user.

        Args:
            name: the login name.
            roles: one or more of :data:`ROLES`.
            facilities: facility ids the user is limited to (none = all).
            password: the password; None = generate a one-time password.
            must_change: force a change at first login (default: when the password was generated).

        Returns:
            The user, and the generated one-time password (None when ``password`` was given).

        Raises:
            AuthError: a bad name, role or facility, a weak password, or the name is taken.
        """
        check_name(name)
        roles_ = check_roles(roles)
        facilities_ = check_facilities(facilities)
        generated = None
        if password is None:
            password = generated = generate_password()
        else:
            check_password(password, name)
        if must_change is None:
            must_change = generated is not None
        digest = self.hasher.hash(password)
        now = _iso()
        try:
            with self._db() as con:
                con.execute(
                    "insert into users (name, roles, facilities, password_hash, must_change, disabled, "
                    "created_at, updated_at) values (?, ?, ?, ?, ?, 0, ?, ?)",
                    (name, ",".join(roles_), ",".join(facilities_), digest, int(must_change), now, now),
                )
        except sqlite3.IntegrityError:
            raise AuthError(f"user {name!r} already exists") from None
        user = self.get(name)
        assert user is not None
        return user, generated

    def _require(self, name: str) -> User:
        user = self.get(name)
        if user is None:
            raise AuthError(f"no user {name!r}; `him users list` shows them")
        return user

    def update(
        self, name: str, *, roles: Iterable[str] | None = None, facilities: Iterable[str] | None = None
    ) -> User:
        """Change a user's roles and/or facility restriction (their live sessions end).

        Raises:
            AuthError: unknown user, bad role or facility.
        """
        self._require(name)
        with self._db() as con:
            if roles is not None:
                con.execute(
                    "update users set roles = ?, updated_at = ? where name = ?",
                    (",".join(check_roles(roles)), _iso(), name),
                )
            if facilities is not None:
                con.execute(
                    "update users set facilities = ?, updated_at = ? where name = ?",
                    (",".join(check_facilities(facilities)), _iso(), name),
                )
            con.execute("delete from sessions where user = ?", (name,))
        return self._require(name)

    def disable(self, name: str, disabled: bool = True) -> User:
        """Disable (or enable) a user; disabling ends their live sessions at once.

        Raises:
            AuthError: no such user.
        """
        self._require(name)
        with self._db() as con:
            con.execute(
                "update users set disabled = ?, updated_at = ? where name = ?", (int(disabled), _iso(), name)
            )
            if disabled:
                con.execute("delete from sessions where user = ?", (name,))
        return self._require(name)

    def reset_password(self, name: str, password: str | None = None) -> str | None:
        """Set a new password (generated one-time password by default), unlock, end live sessions.

        Returns:
            The generated one-time password, or None when ``password`` was given.

        Raises:
            AuthError: no such user, or a weak password.
        """
        self._require(name)
        generated = None
        if password is None:
            password = generated = generate_password()
        else:
            check_password(password, name)
        digest = self.hasher.hash(password)
        with self._db() as con:
            con.execute(
                "update users set password_hash = ?, must_change = ?, updated_at = ? where name = ?",
                (digest, int(generated is not None), _iso(), name),
            )
            con.execute("delete from sessions where user = ?", (name,))
            con.execute("delete from throttle where name = ?", (name,))
        return generated

    def change_password(self, name: str, old: str, new: str) -> None:
        """Change one's own password (the old one must be right); other sessions end.

        Raises:
            AuthError: the old password is wrong, or the new one is weak or unchanged.
        """
        with self._db() as con:
            row = con.execute(
                "select password_hash from users where name = ? and disabled = 0", (name,)
            ).fetchone()
        if row is None or not self._verify(str(row[0]), old):
            raise AuthError("the current password is not right")
        if new == old:
            raise WeakPassword("the new password must differ from the current one")
        check_password(new, name)
        with self._db() as con:
            con.execute(
                "update users set password_hash = ?, must_change = 0, updated_at = ? where name = ?",
                (self.hasher.hash(new), _iso(), name),
            )
            con.execute("delete from sessions where user = ?", (name,))

    def password_hash(self, name: str) -> str | None:
        """The stored hash (for the strength tests and an operator's inspection)."""
        with self._db() as con:
            row = con.execute("select password_hash from users where name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    # -- login -------------------------------------------------------------------------------------

    def _verify(self, digest: str, password: str) -> bool:
        try:
            return bool(self.hasher.verify(digest, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def authenticate(self, name: str, password: str, *, now: float | None = None) -> LoginResult:
        """Check a login.

        The same answer (``invalid``) and about the same time for an unknown name, a wrong password
        and a disabled user; ``locked`` after :data:`LOCK_AFTER` failures in a row, for known and
        unknown names alike.
        """
        now = clock() if now is None else now
        key = (name or "").strip().lower()[:64]
        with self._db() as con:
            throttle = con.execute(
                "select failures, locked_until from throttle where name = ?", (key,)
            ).fetchone()
            row = con.execute(
                f"select {self._COLUMNS}, password_hash from users where name = ?",  # noqa: S608
                (key,),
            ).fetchone()
        if throttle is not None and throttle[1] > now:
            return LoginResult(False, None, "locked", int(throttle[1] - now) + 1)
        if len(password or "") > MAX_PASSWORD_LENGTH:
            password = password[: MAX_PASSWORD_LENGTH + 1]
        if row is None:
            self._verify(self._dummy, password or "")
            ok = False
        else:
            ok = self._verify(str(row[-1]), password or "") and not row[4]
        if not ok:
            failures = (throttle[0] if throttle else 0) + 1
            locked_until = 0.0
            if failures >= LOCK_AFTER:
                locked_until = now + min(LOCK_BASE_SECONDS * 2 ** (failures - LOCK_AFTER), LOCK_MAX_SECONDS)
            with self._db() as con:
                con.execute(
                    "insert into throttle (name, failures, last_failure, locked_until) values (?, ?, ?, ?) "
                    "on conflict (name) do update set failures = excluded.failures, "
                    "last_failure = excluded.last_failure, locked_until = excluded.locked_until",
                    (key, failures, now, locked_until),
                )
            return LoginResult(False, None, "invalid")
        user = self._user(row[:-1])
        with self._db() as con:
            con.execute("delete from throttle where name = ?", (key,))
            con.execute("update users set last_login_at = ? where name = ?", (_iso(now), key))
            if self.hasher.check_needs_rehash(str(row[-1])):
                con.execute(
                    "update users set password_hash = ? where name = ?", (self.hasher.hash(password), key)
                )
        return LoginResult(True, user, "ok")

    def failures(self, name: str) -> int:
        """Consecutive failed logins recorded for a name."""
        with self._db() as con:
            row = con.execute(
                "select failures from throttle where name = ?", (name.strip().lower(),)
            ).fetchone()
        return 0 if row is None else int(row[0])

    # -- sessions ----------------------------------------------------------------------------------

    def create_session(
        self, name: str, *, ip: str | None = None, now: float | None = None
    ) -> tuple[str, Session]:
        """Start a session: return the token for the cookie (only its hash is stored) and the session."""
        now = clock() if now is None else now
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        key = token_hash(token)
        with self._db() as con:
            con.execute(
                "insert into sessions (key, user, created, last_active, csrf, ip) values (?, ?, ?, ?, ?, ?)",
                (key, name, now, now, csrf, ip),
            )
        user = self._require(name)
        return token, Session(user, now, now, csrf, key)

    def session(
        self,
        token: str | None,
        *,
        idle_seconds: float,
        absolute_seconds: float,
        touch: bool = True,
        now: float | None = None,
    ) -> Session | None:
        """Return the live session of a token, or None (unknown, idle too long, too old, user disabled).

        An expired session is deleted. ``touch`` records activity (an Interval tick does not).
        """
        if not token or len(token) > 200:
            return None
        now = clock() if now is None else now
        key = token_hash(token)
        with self._db() as con:
            row = con.execute(
                "select s.user, s.created, s.last_active, s.csrf, u.disabled from sessions s "
                "left join users u on u.name = s.user where s.key = ?",
                (key,),
            ).fetchone()
            if row is None:
                return None
            name, created, last_active, csrf, disabled = row
            expired = now - last_active > idle_seconds or now - created > absolute_seconds
            if disabled is None or disabled or expired:
                con.execute("delete from sessions where key = ?", (key,))
                return None
            if touch and now - last_active >= 1:
                con.execute("update sessions set last_active = ? where key = ?", (now, key))
                last_active = now
        user = self.get(str(name))
        if user is None:
            return None
        return Session(user, float(created), float(last_active), str(csrf), key)

    def end_session(self, token: str | None) -> None:
        """Delete a session (logout): the cookie is worthless afterwards."""
        if token:
            with self._db() as con:
                con.execute("delete from sessions where key = ?", (token_hash(token),))

    def end_sessions(self, name: str) -> None:
        """Delete every session of a user."""
        with self._db() as con:
            con.execute("delete from sessions where user = ?", (name,))

    def purge_sessions(
        self, *, idle_seconds: float, absolute_seconds: float, now: float | None = None
    ) -> int:
        """Delete expired sessions; return how many."""
        now = clock() if now is None else now
        with self._db() as con:
            cur = con.execute(
                "delete from sessions where last_active < ? or created < ?",
                (now - idle_seconds, now - absolute_seconds),
            )
            return int(cur.rowcount or 0)

    # -- first start and demo ----------------------------------------------------------------------

    def ensure_first_admin(self) -> str | None:
        """On a store with no users, create ``admin`` with a one-time password and return it.

        The caller prints it once; it must be changed at first login. Safe when several processes
        start at once: only one creates the account (the others get None).
        """
        password = generate_password()
        digest = self.hasher.hash(password)
        now = _iso()
        with self._db() as con:
            con.execute("begin immediate")
            try:
                if con.execute("select count(*) from users").fetchone()[0]:
                    con.execute("rollback")
                    return None
                con.execute(
                    "insert into users (name, roles, facilities, password_hash, must_change, disabled, "
                    "created_at, updated_at) values (?, 'admin', '', ?, 1, 0, ?, ?)",
                    (FIRST_ADMIN, digest, now, now),
                )
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        return password

    def ensure_demo_accounts(self) -> list[tuple[str, tuple[str, ...], str]]:
        """Create the documented demo accounts that do not exist yet (the demo warehouse of ``him up`` only).

        Returns:
            (name, roles, password) of each demo account.
        """
        out = []
        for name, roles, facilities, password in DEMO_ACCOUNTS:
            existing = self.password_hash(name)
            if existing is not None:
                if self._verify(existing, password):  # a name taken by a real account is not listed
                    out.append((name, roles, password))
                continue
            digest = self.hasher.hash(password)
            now = _iso()
            with self._db() as con:
                con.execute(
                    "insert or ignore into users (name, roles, facilities, password_hash, must_change, "
                    "disabled, created_at, updated_at) values (?, ?, ?, ?, 0, 0, ?, ?)",
                    (name, ",".join(roles), ",".join(facilities), digest, now, now),
                )
            out.append((name, roles, password))
        return out


def open_store(paths: WarehousePaths) -> UserStore:
    """Return the auth store of a warehouse."""
    return UserStore(store_path(paths))
