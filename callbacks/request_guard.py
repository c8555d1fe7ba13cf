"""The envelope of a callback request (POST ``/_dash-update-component``), checked before Dash
reads it.

Our callbacks check their own arguments (:mod:`callbacks.common`); this covers what runs before
them or is not ours: a body Dash cannot dispatch (not an object, an unknown callback, inputs
that are not ``{"id", "property", "value"}`` entries) is answered 400 naming the problem instead
of an error inside Dash, and the shell location's ``pathname`` / ``search``, which Dash's own
page router reads, are made a path and a query string.
"""

from __future__ import annotations

from typing import Any

import dash
import flask

from layouts import ids

DISPATCH = "_dash-update-component"


def _entry_problem(entry: Any, where: str) -> str | None:
    entries = entry if isinstance(entry, list) else [entry]
    for item in entries:
        if not isinstance(item, dict) or "id" not in item or not isinstance(item.get("property"), str):
            return f"{where}: each entry must be an object with 'id' and 'property'"
        if not isinstance(item["id"], str | dict):
            return f"{where}: a component id is a string or an object"
    return None


def envelope_problem(body: Any, known_outputs: Any) -> str | None:
    """Why Dash could not dispatch ``body``, or ``None`` when it can."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    output = body.get("output")
    if not isinstance(output, str) or output not in known_outputs:
        return "'output' must name a callback of this app"
    for key in ("inputs", "state"):
        entries = body.get(key, [])
        if not isinstance(entries, list):
            return f"'{key}' must be a list"
        for entry in entries:
            if problem := _entry_problem(entry, key):
                return problem
    outputs = body.get("outputs", [])
    if not isinstance(outputs, list | dict):
        return "'outputs' must be an object or a list"
    for entry in outputs if isinstance(outputs, list) else [outputs]:
        if problem := _entry_problem(entry, "outputs"):
            return problem
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "'changedPropIds' must be a list of strings"
    return None


def location_value(prop: str, value: Any) -> Any:
    """A ``dcc.Location`` property as the router expects it: ``pathname`` an absolute path
    (anything else: "/"), ``search`` a string (anything else: none)."""
    if prop == "pathname":
        return value if isinstance(value, str) and value.startswith("/") else "/"
    if prop == "search":
        return value if isinstance(value, str) else ""
    return value


def install(app: dash.Dash) -> None:
    """Check every callback request of ``app`` (runs after Dash's own setup hooks, so the page
    router is already among the callbacks)."""
    path = app.config.routes_pathname_prefix + DISPATCH

    @app.server.before_request
    def check_callback_request() -> Any:
        if flask.request.method != "POST" or flask.request.path != path:
            return None
        body = flask.request.get_json(silent=True)  # cached: Dash reads the same object
        if problem := envelope_problem(body, app.callback_map):
            return flask.jsonify(error=f"bad callback request: {problem}"), 400
        for key in ("inputs", "state"):
            for entry in body.get(key, []):
                if isinstance(entry, dict) and entry["id"] == ids.PAGES_LOCATION:
                    entry["value"] = location_value(entry["property"], entry.get("value"))
        return None
