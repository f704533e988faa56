# ruff: noqa: E501 - HTML templates read better unwrapped
"""Plain server-rendered pages of the security layer: login, password change, logout, admin.

Rendered with Jinja's autoescaping (``flask.render_template_string``), no inline script (the CSP
allows none), styled by the app's own Bootstrap stylesheet when it ships one.
"""

from __future__ import annotations

from typing import Any

import flask
from markupsafe import Markup

BASE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>{{ title }} · HIM analytics</title>
<link rel="icon" href="/_favicon.ico">
{% if css %}<link rel="stylesheet" href="{{ css }}">{% endif %}
{% if clear_storage %}<script src="/_him/clear.js"></script>{% endif %}
</head>
<body class="bg-light">
<nav class="navbar navbar-dark bg-dark mb-4" role="navigation">
  <div class="container-fluid">
    <span class="navbar-brand fw-semibold">HIM analytics</span>
    {% if user %}
    <span class="navbar-text small">
      {{ user }}
      {% for link, label in links %} · <a class="link-light" href="{{ link }}">{{ label }}</a>{% endfor %}
      · <a class="link-light" href="/logout" id="security-logout">Log out</a>
    </span>
    {% endif %}
  </div>
</nav>
<main id="main" class="container{{ ' container-narrow' if narrow else '' }} pb-5">
{% if message %}<div class="alert alert-{{ message_kind }}" role="alert" id="security-message">{{ message }}</div>{% endif %}
{{ body }}
</main>
</body>
</html>
"""

LOGIN = """
<div class="row justify-content-center"><div class="col-12 col-sm-8 col-md-5 col-lg-4">
<h1 class="h4 mb-3">Sign in</h1>
<form method="post" action="/login" id="login-form" autocomplete="on">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <input type="hidden" name="next" value="{{ next }}">
  <div class="mb-3"><label class="form-label" for="username">User name</label>
    <input class="form-control" id="username" name="username" autocomplete="username" required
           maxlength="64" value="{{ username }}" autofocus></div>
  <div class="mb-3"><label class="form-label" for="password">Password</label>
    <input class="form-control" id="password" type="password" name="password"
           autocomplete="current-password" required maxlength="256"></div>
  <button class="btn btn-primary w-100" type="submit" id="login-submit">Sign in</button>
</form>
<p class="small text-body-secondary mt-3">Use of this system is monitored and recorded. It holds
protected health information: access only what your work needs.</p>
</div></div>
"""

PASSWORD = """
<div class="row justify-content-center"><div class="col-12 col-sm-8 col-md-6 col-lg-5">
<h1 class="h4 mb-3">Change your password</h1>
{% if must_change %}<p>Your password is a one-time password. Choose your own before going on.</p>{% endif %}
<form method="post" action="/account/password" id="password-form">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <input type="text" name="username" value="{{ user }}" autocomplete="username" hidden>
  <div class="mb-3"><label class="form-label" for="current_password">Current password</label>
    <input class="form-control" id="current_password" type="password" name="current_password"
           autocomplete="current-password" required maxlength="256"></div>
  <div class="mb-3"><label class="form-label" for="new_password">New password</label>
    <input class="form-control" id="new_password" type="password" name="new_password"
           autocomplete="new-password" required minlength="{{ min_length }}" maxlength="256">
    <div class="form-text">At least {{ min_length }} characters; not your user name; not a common password.</div></div>
  <div class="mb-3"><label class="form-label" for="confirm_password">New password again</label>
    <input class="form-control" id="confirm_password" type="password" name="confirm_password"
           autocomplete="new-password" required maxlength="256"></div>
  <button class="btn btn-primary" type="submit" id="password-submit">Change password</button>
</form>
</div></div>
"""

LOGOUT = """
<div class="row justify-content-center"><div class="col-12 col-sm-8 col-md-5 col-lg-4">
<h1 class="h4 mb-3">Log out</h1>
<form method="post" action="/logout" id="logout-form">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <button class="btn btn-primary" type="submit" id="logout-submit">Log out</button>
</form>
</div></div>
"""

USERS = """
<h1 class="h4 mb-3">Users</h1>
{% if one_time %}
<div class="alert alert-warning" id="one-time-password">One-time password for <strong>{{ one_time[0] }}</strong>
(shown once; it must be changed at first login): <code>{{ one_time[1] }}</code></div>
{% endif %}
<table class="table table-sm align-middle" id="users-table">
<thead><tr><th>User</th><th>Roles</th><th>Facilities</th><th>State</th><th>Last login</th><th></th></tr></thead>
<tbody>
{% for u in users %}
<tr data-user="{{ u.name }}">
  <td>{{ u.name }}</td><td>{{ u.roles|join(', ') }}</td><td>{{ u.facilities|join(', ') or 'all' }}</td>
  <td>{{ 'disabled' if u.disabled else ('must change password' if u.must_change else 'active') }}</td>
  <td>{{ u.last_login_at or '-' }}</td>
  <td class="text-end">
    <form method="post" action="/admin/users/{{ u.name }}" class="d-inline">
      <input type="hidden" name="csrf_token" value="{{ csrf }}">
      {% if u.disabled %}<button class="btn btn-sm btn-outline-secondary" name="action" value="enable">Enable</button>
      {% else %}<button class="btn btn-sm btn-outline-danger" name="action" value="disable">Disable</button>{% endif %}
      <button class="btn btn-sm btn-outline-secondary" name="action" value="reset">Reset password</button>
    </form>
  </td>
</tr>
{% endfor %}
</tbody></table>
<h2 class="h5 mt-4">Add a user</h2>
<form method="post" action="/admin/users" id="add-user-form" class="row g-2 align-items-end">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <div class="col-md-3"><label class="form-label" for="new-name">User name</label>
    <input class="form-control" id="new-name" name="name" required maxlength="64"></div>
  <div class="col-md-4"><span class="form-label d-block">Roles</span>
    {% for role in roles %}<label class="me-2"><input type="checkbox" name="role" value="{{ role }}"> {{ role }}</label>{% endfor %}</div>
  <div class="col-md-3"><label class="form-label" for="new-facilities">Facilities (comma separated; empty = all)</label>
    <input class="form-control" id="new-facilities" name="facilities" maxlength="300"></div>
  <div class="col-md-2"><button class="btn btn-primary w-100" type="submit">Add</button></div>
</form>
"""

AUDIT = """
<h1 class="h4 mb-3">Audit log</h1>
<p id="audit-verify" class="{{ 'text-success' if verification.ok else 'text-danger fw-bold' }}">
{% if verification.ok %}Hash chain intact: {{ verification.entries }} entries; head {{ verification.head[:16] }}…
{% else %}Hash chain BROKEN{% if verification.line %} at line {{ verification.line }}{% endif %}: {{ verification.problem }}{% endif %}
</p>
<form method="get" action="/admin/audit" class="row g-2 align-items-end mb-3">
  <div class="col-md-2"><label class="form-label" for="f-user">User</label>
    <input class="form-control" id="f-user" name="user" value="{{ query.user or '' }}" maxlength="64"></div>
  <div class="col-md-2"><label class="form-label" for="f-action">Action</label>
    <select class="form-select" id="f-action" name="action"><option value="">any</option>
    {% for a in actions %}<option value="{{ a }}" {{ 'selected' if query.action == a else '' }}>{{ a }}</option>{% endfor %}
    </select></div>
  <div class="col-md-2"><label class="form-label" for="f-since">From</label>
    <input class="form-control" type="date" id="f-since" name="since" value="{{ query.since or '' }}"></div>
  <div class="col-md-2"><label class="form-label" for="f-until">To</label>
    <input class="form-control" type="date" id="f-until" name="until" value="{{ query.until or '' }}"></div>
  <div class="col-md-4"><button class="btn btn-primary" type="submit">Filter</button>
    <a class="btn btn-outline-secondary" href="/admin/audit.csv?{{ qs }}">Export CSV</a>
    <a class="btn btn-outline-secondary" href="/admin/audit.json?{{ qs }}">Export JSON</a></div>
</form>
<p class="small">Newest first; {{ shown }} of {{ matched }} matching entries shown.</p>
<table class="table table-sm small" id="audit-table">
<thead><tr><th>#</th><th>Time (UTC)</th><th>User</th><th>Action</th><th>Target</th><th>Filters</th><th>Rows</th><th>Detail</th></tr></thead>
<tbody>
{% for e in entries %}
<tr><td>{{ e.seq }}</td><td>{{ e.time }}</td><td>{{ e.user }}</td><td>{{ e.action }}</td><td>{{ e.target }}</td>
<td><code>{{ e.filters|tojson if e.filters else '' }}</code></td><td>{{ e.rows if e.rows is not none else '' }}</td>
<td><code>{{ e.detail|tojson if e.detail else '' }}</code></td></tr>
{% endfor %}
</tbody></table>
"""

FORBIDDEN = """
<h1 class="h4">Not available to you</h1>
<p>Your account's roles do not include this page. <a href="{{ home }}">Go to your start page</a>.</p>
"""

ERROR = """
<h1 class="h4">Something went wrong</h1>
<p>The error was logged with reference <code>{{ ref }}</code>. Please try again, or quote the reference
to the administrator.</p>
"""


def render(
    body: str, *, title: str, status: int = 200, css: str | None = None, **context: Any
) -> flask.Response:
    """Render ``body`` (a template) inside the base page."""
    inner = flask.render_template_string(body, **context)
    page = flask.render_template_string(
        BASE,
        title=title,
        css=css,
        body=Markup(inner),  # rendered above with autoescaping
        user=context.get("user_label"),
        links=context.get("links", ()),
        message=context.get("message"),
        message_kind=context.get("message_kind", "danger"),
        narrow=context.get("narrow", False),
        clear_storage=context.get("clear_storage", False),
    )
    return flask.Response(page, status=status, mimetype="text/html")
