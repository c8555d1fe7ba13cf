"""Every server-side callback survives crafted input (issue #13).

The callbacks are enumerated from ``app.callback_map`` (a callback added later is covered
without touching this file) and each is called the way the browser calls it: a POST to
``/_dash-update-component`` through the Flask test client. Each input and state in turn gets
every crafted value (the others stay plausible), then a few all-bad combinations; the keys of
pattern-matching ids are crafted too. An answer is 200 with JSON or 204 (nothing to update),
never an error. Clientside callbacks (no ``callback`` in the map) run in the browser only.

Each request is sent by a client signed in with a role that may use the callback (its declared
need, :mod:`callbacks.access`): the fuzz reaches the callback's code, not the access check (which
``tests/integration/test_access.py`` covers).

The acknowledge button is checked on its own: junk never acknowledges anything and is answered
with the page's message, a good request still acknowledges (under the signed-in name).
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dash._utils import split_callback_id

from callbacks.access import declared_need
from ioc import accounts
from ioc.access import Can
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.runtime import backfill_source, simulator_sources

#: What a crafted request may put in any input or state: missing, empty, wrong types, extreme
#: sizes and numbers, impossible dates, unknown option values, nested junk, odd unicode.
NESTED: Any = {"a": [1, {"b": None, "c": ["x", {"d": {}}]}], "e": True}
DEEP: Any = "deep"
for _ in range(60):
    DEEP = [DEEP]
CRAFTED: list[Any] = [
    None, "", -1, 10**30, float("nan"), True, ["19753", None, 7, ["x"]], NESTED, DEEP, "x" * 50_000,
    "'; DROP TABLE units; -- Huế 🚦\u0000\u202e",  # also an option no control has
]
#: What a date property (a date picker's ``start_date``…) gets instead, as many values.
CRAFTED_DATES: list[Any] = [
    None, "", "0001-01-01", "9999-12-31", "not-a-date", "2026-02-31", "2026-03-01T99:99:99", 10**30,
    ["2026-01-01"], NESTED, "x" * 50_000,
]
DATE_PROPS = {"start_date", "end_date", "date", "max_date_allowed", "min_date_allowed"}
#: The same wrong value given to every input and state at once (all None: what a fresh page sends).
ALL_BAD: list[Any] = [None, "9999-12-31"]
PASSWORD = "fuzzing password 2026"
#: A role that may use a callback of each need (downloads: analysts may download every CSV).
ROLE_FOR = {Can.READ: "viewer", Can.OPERATIONS: "leader", Can.ACKNOWLEDGE: "operator", Can.REPORT: "analyst",
            Can.EXPORT: "analyst", Can.UNMASK: "analyst", Can.ADMINISTER: "admin"}
#: Key values of a pattern-matching id (``{"type": …, "chart": ALL}``) a request may name.
CRAFTED_KEYS: list[Any] = ["trend", "no-such-key", 0, -1, 10**30, None, True, "x" * 5_000, ["a"], {"a": 1}]


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Context:
    """Embedded defaults (every family's simulator) on a new SQLite store with 3 days of history,
    and one source alert (so the alerts page has an acknowledge button to aim at)."""
    from ioc.alerts import evaluate
    from ioc.sources import SourceSpec
    from ioc.store import runs
    from ioc.store.db import utcnow

    path: Path = tmp_path_factory.mktemp("fuzz") / "store.sqlite"
    context = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{path}"}))
    for spec in simulator_sources(context):
        # official warnings come a few a month in the rainy season, none on most days, and the
        # published indicators once a month, quarter or year (a 3-day window holds a month's end
        # only at the turn of a month): more than a year of both
        days = 400 if spec.family in ("warnings", "indicators") else 3
        assert backfill_source(context, spec, days, 2023) > 0, spec.name
    broken = SourceSpec(name="fuzz-broken", type="open311", family="feedback", every_seconds=60,
                        url="http://open311.test")
    runs.register_sources(context.engine, [broken])
    runs.finish_run(context.engine, runs.start_run(context.engine, broken.name, "feedback"), "failed", {}, "boom")
    assert evaluate(context.engine, context.settings, utcnow(), sources=(broken.name,))["opened"] >= 1
    for role in sorted(set(ROLE_FOR.values())):
        accounts.add_user(context.engine, f"fuzz-{role}", role, PASSWORD)
    return context


@pytest.fixture(scope="module")
def app(ctx: Context) -> Any:
    from app import create_app

    dash_app = create_app(ctx)
    # A failing callback raises here instead of becoming an anonymous 500: the test names it.
    dash_app.server.config["PROPAGATE_EXCEPTIONS"] = True
    return dash_app


@pytest.fixture(scope="module")
def client(app: Any) -> Any:
    client = app.server.test_client()
    assert client.get("/_dash-dependencies").status_code == 200  # Dash finishes its setup on a first request
    return client


@pytest.fixture(scope="module")
def clients(app: Any, client: Any) -> dict[str, Any]:
    """A signed-in client per role of :data:`ROLE_FOR`."""
    out = {}
    for role in set(ROLE_FOR.values()):
        signed = app.server.test_client()
        page = signed.get("/signin").get_data(as_text=True)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        assert signed.post("/signin", data={"name": f"fuzz-{role}", "password": PASSWORD, "csrf": csrf}).status_code == 302
        out[role] = signed
    return out


def client_for(app: Any, clients: dict[str, Any], output: str) -> Any:
    """The client whose role may use the callback of ``output``."""
    return clients[ROLE_FOR[declared_need(app.callback_map[output], output)]]


def _wildcard(id_: str) -> dict | None:
    """The parsed id when ``id_`` is a pattern-matching one, else ``None``."""
    if not id_.startswith("{"):
        return None
    return json.loads(id_)


def _concrete(pattern: dict, key: Any) -> dict:
    """The pattern's id with every wildcard (``["ALL"]``, ``["MATCH"]``…) replaced by ``key``."""
    return {k: (key if isinstance(v, list) else v) for k, v in pattern.items()}


def _entries(deps: list[dict], values: list[Any], key: Any) -> list[Any]:
    """The request's ``inputs`` / ``state``: plain ids as one entry, ALL / ALLSMALLER wildcards as
    a list of two matched components, MATCH as the one matched component."""
    out: list[Any] = []
    for dep, value in zip(deps, values, strict=True):
        pattern = _wildcard(dep["id"])
        prop = dep["property"]
        if pattern is None:
            out.append({"id": dep["id"], "property": prop, "value": value})
        elif any(v in (["ALL"], ["ALLSMALLER"]) for v in pattern.values()):
            out.append([{"id": _concrete(pattern, key), "property": prop, "value": value},
                        {"id": _concrete(pattern, "other"), "property": prop, "value": 1}])
        else:
            out.append({"id": _concrete(pattern, key), "property": prop, "value": value})
    return out


def _outputs(output: str, key: Any) -> Any:
    spec = split_callback_id(output)

    def one(o: dict) -> Any:
        pattern = _wildcard(o["id"])
        if pattern is None:
            return o
        if any(v == ["ALL"] for v in pattern.values()):
            return [{"id": _concrete(pattern, key), "property": o["property"]}]
        return {"id": _concrete(pattern, key), "property": o["property"]}

    return [one(o) for o in spec] if isinstance(spec, list) else one(spec)


def _prop_id(entry: Any) -> str:
    first = entry[0] if isinstance(entry, list) else entry
    id_ = first["id"]
    return (json.dumps(id_, sort_keys=True, separators=(",", ":")) if isinstance(id_, dict) else id_) + \
        "." + first["property"]


def _body(output: str, cb: dict, inputs: list[Any], state: list[Any], key: Any) -> dict:
    ins = _entries(cb["inputs"], inputs, key)
    return {"output": output, "outputs": _outputs(output, key), "inputs": ins,
            "state": _entries(cb["state"], state, key), "changedPropIds": [_prop_id(e) for e in ins]}


def server_callbacks(app: Any) -> list[tuple[str, dict]]:
    """Every callback that runs on the server (clientside ones have no Python function)."""
    return [(output, cb) for output, cb in app.callback_map.items() if "callback" in cb]


def _cases(cb: dict) -> Iterator[tuple[str, list[Any], list[Any], Any]]:
    """(label, inputs, state, wildcard key). Case ``j`` gives slot ``i`` the crafted value
    ``(i + j) mod n`` (dates from :data:`CRAFTED_DATES`): in ``n`` requests every slot meets every
    crafted value once, next to other crafted values (one request per slot and value would be the
    same coverage at several times the cost). Then the same bad value everywhere, then crafted
    keys of pattern-matching ids."""
    n_in, n_st = len(cb["inputs"]), len(cb["state"])
    deps = cb["inputs"] + cb["state"]
    names = [f"{d['id']}.{d['property']}" for d in deps]
    pools = [CRAFTED_DATES if d["property"] in DATE_PROPS else CRAFTED for d in deps]
    for j in range(max(len(CRAFTED), len(CRAFTED_DATES))):
        values = [pool[(i + j) % len(pool)] for i, pool in enumerate(pools)]
        label = ", ".join(f"{name}={_short(v)}" for name, v in zip(names, values, strict=True))
        yield label, values[:n_in], values[n_in:], "trend"
    for value in ALL_BAD:
        values = [value] * (n_in + n_st)
        yield f"all={_short(value)}", values[:n_in], values[n_in:], "trend"
    if any(_wildcard(d["id"]) for d in cb["inputs"] + cb["state"]):
        for key in CRAFTED_KEYS:
            values = [1] * (n_in + n_st)
            yield f"key={_short(key)}", values[:n_in], values[n_in:], key


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "…"


def test_every_server_callback_is_enumerated(app: Any, client: Any) -> None:
    """The enumeration sees the pattern-matching callbacks and those of every page (a wrong
    filter on ``callback_map`` would make the fuzz below pass on nothing)."""
    outputs = [output for output, _cb in server_callbacks(app)]
    assert len(outputs) >= 40
    for must in ("al-message.children", "ov-tiles", "fb-tiles.children", "tr-tiles.children",
                 "env-tiles.children", "ad-tiles.children", "wall-ticker.children", "_pages_content.children"):
        assert any(must in o for o in outputs), must
    clientside = [o for o, cb in app.callback_map.items() if "callback" not in cb]
    assert "live-updated.children" in clientside and "live-updated.children" not in outputs


def test_every_server_callback_answers_crafted_inputs_without_error(app: Any, clients: dict[str, Any]) -> None:
    failures: list[str] = []
    for output, cb in server_callbacks(app):
        client = client_for(app, clients, output)
        for label, inputs, state, key in _cases(cb):
            body = _body(output, cb, inputs, state, key)
            try:
                response = client.post("/_dash-update-component", json=body)
            except Exception as exc:  # noqa: BLE001 - every failure is collected and reported below
                where = traceback.extract_tb(exc.__traceback__)[-1]
                failures.append(f"{output[:70]} [{label}]: {type(exc).__name__}: {str(exc)[:160]} "
                                f"({Path(where.filename).name}:{where.lineno})")
                continue
            if response.status_code == 204:
                continue
            if response.status_code != 200:
                failures.append(f"{output[:70]} [{label}]: HTTP {response.status_code}")
                continue
            try:
                answer = json.loads(response.get_data(as_text=True))
            except ValueError as exc:
                failures.append(f"{output[:70]} [{label}]: not JSON ({exc})")
                continue
            if not isinstance(answer, dict) or "response" not in answer:
                failures.append(f"{output[:70]} [{label}]: no 'response' in {str(answer)[:80]}")
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} crafted callback requests failed:\n" + "\n".join(unique[:80])


@pytest.mark.parametrize("body", [
    None, [], "x", {}, {"output": 7}, {"output": "no-such-component.children"},
    {"output": "ov-sources.children", "inputs": "x"}, {"output": "ov-sources.children", "inputs": [7]},
    {"output": "ov-sources.children", "inputs": [{"id": 7, "property": "x", "value": 1}]},
    {"output": "ov-sources.children", "inputs": [], "state": [[{"id": "ov-sources"}]]},
    {"output": "ov-sources.children", "inputs": [], "outputs": "ov-sources"},
    {"output": "ov-sources.children", "inputs": [], "changedPropIds": [None]},
], ids=lambda b: _short(b))
def test_a_callback_request_dash_cannot_dispatch_is_answered_400(client: Any, body: Any) -> None:
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("bad callback request: ")


ACK = "..al-message.children...al-message.className...al-refresh.data.."


def _ack(client: Any, alert_id: Any, note: Any = None, refresh: Any = None) -> tuple[int, dict]:
    """Click the acknowledge button of ``alert_id`` as the browser would; the status and the
    changed properties ({} for 204)."""
    button = {"id": alert_id, "type": "al-ack"}
    body = {
        "output": ACK,
        "outputs": [{"id": "al-message", "property": "children"}, {"id": "al-message", "property": "className"},
                    {"id": "al-refresh", "property": "data"}],
        "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
        "state": [{"id": "al-note", "property": "value", "value": note},
                  {"id": "al-refresh", "property": "data", "value": refresh},
                  {"id": "page-lang", "property": "data", "value": "en"}],
        "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"],
    }
    response = client.post("/_dash-update-component", json=body)
    return response.status_code, (response.get_json() or {}).get("response", {}) if response.status_code == 200 else {}


@pytest.mark.parametrize(("alert_id", "note", "says"), [
    ("{id}", "n" * 1001, "at most 1000"),
    ("{id}", {"a": 1}, "the note must be text"),
    ("{id}", ["n"], "the note must be text"),
    ("7", None, "no alert with id '7'"),
    (True, None, "no alert with id 'True'"),
    (1.0, None, "no alert with id '1.0'"),
    (0, None, "no alert with id '0'"),
    (-1, None, "no alert with id '-1'"),
    (10**30, None, "no alert with id '1000000000000000000000000000000'"),
    (None, None, "no alert with id 'None'"),
    ({"x": 1}, None, "no alert with id"),
    (999_999, None, "no alert with id 999999"),
], ids=lambda v: _short(v))
def test_acknowledge_refuses_junk_with_the_pages_message_and_acknowledges_nothing(
        ctx: Context, clients: dict[str, Any], alert_id: Any, note: Any, says: str) -> None:
    from ioc.alerts import current_alerts

    open_alert = next(a for a in current_alerts(ctx.engine) if not a.acked_by)
    status, changed = _ack(clients["operator"], open_alert.id if alert_id == "{id}" else alert_id, note)
    assert status == 200
    assert changed["al-message"]["className"] == "ack-message error"
    assert says in changed["al-message"]["children"]
    assert "al-refresh" not in changed
    assert all(not a.acked_by for a in current_alerts(ctx.engine))


def test_acknowledge_still_works_after_the_junk(ctx: Context, clients: dict[str, Any]) -> None:
    """A good click acknowledges (a counter store holding junk restarts at 1); a click on no
    button (``n_clicks`` 0) changes nothing."""
    from ioc.alerts import current_alerts

    open_alert = next(a for a in current_alerts(ctx.engine) if not a.acked_by)
    status, changed = _ack(clients["operator"], open_alert.id, " gọi kỹ thuật ", refresh={"x": [1]})
    assert status == 200
    assert changed["al-message"]["className"] == "ack-message ok"
    assert changed["al-refresh"]["data"] == 1
    acked = next(a for a in current_alerts(ctx.engine) if a.id == open_alert.id)
    assert (acked.acked_by, acked.ack_note) == ("fuzz-operator", "gọi kỹ thuật")


def test_crafted_filter_values_are_named_on_the_pages_banner(client: Any) -> None:
    """The feedback bar's URL callback given a date with no next day and a list for a unit: the
    URL keeps the selection used (the default period, every unit) and the banner names both."""
    output = next(o for o in json.loads(client.get("/_dash-dependencies").get_data(as_text=True))
                  if o["output"].startswith("..fb-url.search..."))["output"]
    values = {"fb-dates.start_date": "2026-01-01", "fb-dates.end_date": "9999-12-31", "fb-unit.value": ["474", 7],
              "fb-category.value": None, "fb-channel.value": None}
    body = {"output": output, "outputs": split_callback_id(output),
            "inputs": [{"id": k.split(".")[0], "property": k.split(".")[1], "value": v} for k, v in values.items()],
            "state": [{"id": "page-lang", "property": "data", "value": "en"}],
            "changedPropIds": ["fb-dates.end_date"]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    changed = response.get_json()["response"]
    assert changed["fb-url"]["search"].startswith("?from=") and "unit=" not in changed["fb-url"]["search"]
    banner = changed["page-errors"]
    assert (banner["className"], banner["role"]) == ("banner banner-warn", "alert")
    lines = [line["props"]["children"] for line in banner["children"]]
    assert len(lines) == 2, lines
    assert lines[0].startswith("Ignored to=9999-12-31: not a date")
    assert lines[1].startswith("Ignored unit=")


def _url_callback(client: Any, values: dict[str, Any], lang: str) -> dict:
    output = next(o for o in json.loads(client.get("/_dash-dependencies").get_data(as_text=True))
                  if o["output"].startswith("..fb-url.search..."))["output"]
    body = {"output": output, "outputs": split_callback_id(output),
            "inputs": [{"id": k.split(".")[0], "property": k.split(".")[1], "value": v} for k, v in values.items()],
            "state": [{"id": "page-lang", "property": "data", "value": lang}],
            "changedPropIds": ["fb-dates.end_date"]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    return response.get_json()["response"]


def test_one_day_picked_is_one_day_in_the_url_and_a_crafted_category_is_named(client: Any) -> None:
    """The picker's first and last day are the URL's from and to (both included); a category
    the page does not list is named on the banner, in the page's language, and left out of the URL."""
    values = {"fb-dates.start_date": "2026-11-02", "fb-dates.end_date": "2026-11-02", "fb-unit.value": None,
              "fb-category.value": None, "fb-channel.value": "web"}
    changed = _url_callback(client, values, "vi")
    assert changed["fb-url"]["search"] == "?from=2026-11-02&to=2026-11-02&channel=web&lang=vi"
    assert "page-errors" not in changed  # every value good: the page's banner is left as it is

    changed = _url_callback(client, {**values, "fb-category.value": "zzz"}, "vi")
    assert changed["fb-url"]["search"] == "?from=2026-11-02&to=2026-11-02&channel=web&lang=vi"
    lines = [line["props"]["children"] for line in changed["page-errors"]["children"]]
    assert lines == ["Bỏ qua tham số category=zzz: không có lĩnh vực này. Đang dùng: tất cả."]
