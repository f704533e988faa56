"""The two small scripts the security layer serves from its own origin (the CSP allows no inline script).

``SESSION_JS`` runs on every dashboard page, before Dash's renderer:

* any response with status 401 (the session ended: idle, absolute lifetime, logout elsewhere, user
  disabled) sends the browser to the login page instead of leaving patient data on screen;
* it asks ``/_him/session`` how long the session has left (that request is not activity) and asks
  again when it should have run out, so an idle screen is cleared without anyone touching it.

``CLEAR_JS`` runs on the login and logout pages and empties the browser's local and session storage.
"""

from __future__ import annotations

SESSION_JS = """(function () {
  "use strict";
  var LOGIN = "/login";
  var leaving = false;
  function toLogin() {
    if (leaving) { return; }
    leaving = true;
    var next = window.location.pathname + window.location.search;
    window.location.assign(LOGIN + "?expired=1&next=" + encodeURIComponent(next));
  }
  var nativeFetch = window.fetch.bind(window);
  window.fetch = function () {
    return nativeFetch.apply(null, arguments).then(function (response) {
      if (response.status === 401) { toLogin(); }
      return response;
    });
  };
  function schedule(seconds) {
    var wait = Math.max(1, Math.min(60, (typeof seconds === "number" ? seconds : 30) + 0.5));
    window.setTimeout(poll, wait * 1000);
  }
  function poll() {
    nativeFetch("/_him/session", {credentials: "same-origin", cache: "no-store"}).then(function (r) {
      if (r.status === 401) { toLogin(); return null; }
      return r.json().then(function (s) { schedule(s.idle_remaining); });
    }).catch(function () { schedule(30); });
  }
  schedule(2);
})();
"""

CLEAR_JS = """(function () {
  "use strict";
  try { window.localStorage.clear(); } catch (e) { /* storage disabled */ }
  try { window.sessionStorage.clear(); } catch (e) { /* storage disabled */ }
})();
"""
