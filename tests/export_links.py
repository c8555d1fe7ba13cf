"""The pages' export links in tests: their ids on a page's layout, and their addresses as the
page's callback writes them (a POST to ``/_dash-update-component``, as the browser sends it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ioc.context import Context
from ioc.registry import registry
from layouts import ids
from tests.component_tree import walk


def page_links(app: Any, ctx: Context, page: str, lang: str | None = None, **params: Any) -> list[dict[str, str]]:
    """The ids of every export link (``{"type", "chart", "format"}``) on page ``page`` built for
    the query parameters ``params``."""
    [found] = [p for p in registry().pages if p.name == page]
    with app.server.test_request_context("/"):
        layout = found.layout(ctx, lang, **params)
    return [c.id for c in walk(layout) if isinstance(getattr(c, "id", None), dict) and "format" in c.id]


def href_callback(app: Any, link_type: str) -> str:
    """The callback map's key of the callback writing the ``href`` of links of type ``link_type``."""
    [key] = [k for k, v in app.callback_map.items()
             if "callback" in v and k.endswith(".href") and f'"type":"{link_type}"' in k]
    return key


def link_hrefs(client: Any, app: Any, links: list[dict[str, str]], search: str, lang: str,
               settings: Mapping[str, Any] | None = None) -> dict[tuple[str, str], str | None]:
    """The address of each link of ``links`` (all of one page) by (panel, format), for the page's
    URL query ``search``, its language and its view settings' controls (control id → value)."""
    key = href_callback(app, links[0]["type"])
    entry = app.callback_map[key]
    inputs = []
    for spec in entry["inputs"]:
        if spec["property"] == "search":
            value = search
        elif spec["id"] == ids.PAGE_LANG:
            value = lang
        else:
            value = (settings or {})[spec["id"]]
        inputs.append({**spec, "value": value})
    payload = {"output": key, "outputs": [{"id": link, "property": "href"} for link in links], "inputs": inputs,
               "state": [], "changedPropIds": [f"{entry['inputs'][0]['id']}.search"]}
    answer = client.post("/_dash-update-component", json=payload)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    response = answer.get_json()["response"]
    return {(link["chart"], link["format"]): response[json.dumps(link, sort_keys=True, separators=(",", ":"))]["href"]
            for link in links}
