"""The website widget in real headless Chromium against the real running assistant.

Covers: a whole conversation with the keyboard alone (greeting, a knowledge answer with its
source link, "Tell me more", a help button), the conversation kept across a reload, Escape
and focus, a link code linking this web session only, the typing indicator, calm errors, injection from both sides, axe-core, small
screens and high zoom, and the channel's HTTP contract (headers, sessions, forged tokens).
"""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, post_json
from tests.widget.conftest import open_page

pytestmark = pytest.mark.server
browser_test = pytest.mark.browser

LAUNCHER = "#sen-chat-launcher"
PANEL = "#sen-chat-panel"
INPUT = "#sen-chat-input"
BOT = ".sen-chat-msg--bot"
USER = ".sen-chat-msg--user"
COULD_NOT_REACH = "Sorry, I couldn't reach the assistant. Please try again."


def article(topic: str) -> dict:
    return yaml.safe_load((ROOT / "knowledge" / "articles" / f"{topic}.yml").read_text(encoding="utf-8"))


def first_sentence(text: str) -> str:
    return " ".join(text.split()).split(". ")[0]


def demo_url(server) -> str:
    return f"{server.base_url}/webhooks/web/demo"


def expect():
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def focused(page) -> dict:
    return page.evaluate(
        """() => { const a = document.activeElement;
                   return {id: a.id, text: (a.textContent || '').trim(), tag: a.tagName,
                           inWidget: !!a.closest('[data-sen-chat]')}; }"""
    )


def press_until(page, key: str, wanted, limit: int = 40) -> dict:
    """Press key (Tab, Shift+Tab) until the focused element matches `wanted`; keyboard only."""
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if wanted(now):
            return now
    raise AssertionError(f"never reached the wanted element with {key}; last focus {focused(page)}")


def say(page, text: str) -> None:
    """Type into the question box and press Enter, then wait for the reply."""
    count = page.locator(BOT).count()
    page.locator(INPUT).focus()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    expect()(page.locator(BOT)).to_have_count(count + 1)


def last_bot(page):
    return page.locator(BOT).last


def press_option(page, title: str, new_reply: bool = True) -> None:
    """Reach a reply button with Shift+Tab from the question box and press it with Space."""
    count = page.locator(BOT).count()
    page.locator(INPUT).focus()
    press_until(page, "Shift+Tab", lambda f: f["tag"] == "BUTTON" and f["text"] == title)
    page.keyboard.press("Space")
    if new_reply:
        expect()(page.locator(BOT)).to_have_count(count + 1)
    else:  # "Try again" replaces the error it was part of
        page.wait_for_function("() => !document.querySelector('.sen-chat-typing--on')")
    assert focused(page)["id"] == "sen-chat-input", "focus goes back to the question box after a button"


def axe_serious(page) -> tuple[list[str], list[str]]:
    """(serious or critical violations, all violations) from axe-core on the whole page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    described = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]
    serious = [d for v, d in zip(results.response["violations"], described) if v["impact"] in {"serious", "critical"}]
    return serious, described


def no_horizontal_scroll(page) -> None:
    sizes = page.evaluate(
        "() => ({sw: document.scrollingElement.scrollWidth, cw: document.scrollingElement.clientWidth})"
    )
    assert sizes["sw"] <= sizes["cw"], sizes


def panel_inside_viewport(page) -> None:
    box = page.locator(PANEL).bounding_box()
    viewport = page.viewport_size
    assert box is not None
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= viewport["width"] + 0.5, (box, viewport)
    assert box["y"] + box["height"] <= viewport["height"] + 0.5, (box, viewport)


# ---------------------------------------------------------------- the whole conversation


@browser_test
def test_a_whole_conversation_with_the_keyboard_alone(page, rasa_server, watch):
    sessions: list[str] = []
    page.on("request", lambda r: sessions.append(r.url) if r.url.endswith("/webhooks/web/session") else None)
    page.goto(demo_url(rasa_server))

    # Open it with the keyboard: Tab to the launcher, press Enter; focus lands in the question box.
    press_until(page, "Tab", lambda f: f["id"] == "sen-chat-launcher")
    launcher_ring = page.locator(LAUNCHER).evaluate(
        "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }"
    )
    assert launcher_ring[0] == "solid" and launcher_ring[1] == "3px" and "6px" in launcher_ring[2], launcher_ring
    page.keyboard.press("Enter")
    expect()(page.locator(PANEL)).to_be_visible()
    expect()(page.locator(LAUNCHER)).to_have_attribute("aria-expanded", "true")
    assert focused(page)["id"] == "sen-chat-input"
    expect()(page.get_by_label("Ask a question about SEN support")).to_be_visible()
    log = page.locator("[role=log]")
    expect()(log).to_have_attribute("aria-live", "polite")

    # Greet.
    say(page, "hello")
    expect()(page.locator(USER).last).to_contain_text("hello")
    expect()(last_bot(page)).to_contain_text("Hello. I can help you understand SEN support")
    expect()(last_bot(page).locator("button")).to_contain_text(["What is SEN support?", "What does a SENCO do?"])

    # A knowledge question: the short answer, its sources as safe links, and "Tell me more".
    senco = article("senco_role")
    say(page, "what does a SENCO do")
    reply = last_bot(page)
    expect()(reply).to_contain_text(first_sentence(senco["short"]))
    expect()(reply.locator(".sen-chat-buttons button")).to_have_text(["Tell me more", "Ask something else"])
    links = reply.locator(".sen-chat-sources a")
    expect()(links).to_have_count(len(senco["sources"]))
    for index, source in enumerate(senco["sources"]):
        link = links.nth(index)
        href = link.get_attribute("href")
        assert href.startswith("https://") and href.rstrip("/") == source["url"].rstrip("/")
        assert set(link.get_attribute("rel").split()) >= {"noopener", "noreferrer"}
        assert link.get_attribute("target") == "_blank"
        expect()(reply.locator(".sen-chat-sources li").nth(index)).to_contain_text(
            f"Source: {source['title']} (opens in a new tab) ({source['ref']})"
        )
    # The log is announced politely and its new entries are inside it.
    assert reply.evaluate("el => el.closest('[role=log]') !== null")

    # "Tell me more", pressed with the keyboard (Shift+Tab back from the question box, Space).
    press_option(page, "Tell me more")
    expect()(page.locator(USER).last).to_have_text("You said: Tell me more")
    expect()(last_bot(page)).to_contain_text(first_sentence(senco["more"]))
    # Older replies lose their buttons: only the latest reply's options are in the Tab order.
    assert page.locator(f"{BOT} .sen-chat-buttons").count() == 1

    # A help button: "Ask something else" brings the menu, then one of its topics.
    press_option(page, "Ask something else")
    expect()(last_bot(page)).to_contain_text("I can explain SEN support")
    graduated = article("graduated_approach")
    press_option(page, "Assess, plan, do, review")
    expect()(last_bot(page)).to_contain_text(first_sentence(graduated["short"]))

    # axe-core after a conversation, panel open.
    serious, everything = axe_serious(page)
    assert not serious, "\n".join(everything)

    # Reload: the conversation, the open panel and the session are kept.
    texts_before = page.locator(".sen-chat-msg").all_inner_texts()
    page.reload()
    expect()(page.locator(PANEL)).to_be_visible()
    expect()(page.locator(".sen-chat-msg")).to_have_count(len(texts_before))
    assert page.locator(".sen-chat-msg").all_inner_texts() == texts_before
    say(page, "thank you")
    expect()(last_bot(page)).to_contain_text("You're welcome")
    assert len(sessions) == 1, f"one web session for the whole conversation, got {sessions}"

    # Escape closes the panel and focus goes back to the launcher; Enter reopens it.
    page.locator(INPUT).focus()
    page.keyboard.press("Escape")
    expect()(page.locator(PANEL)).to_be_hidden()
    assert focused(page)["id"] == "sen-chat-launcher"
    expect()(page.locator(LAUNCHER)).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Space")
    expect()(page.locator(PANEL)).to_be_visible()
    assert focused(page)["id"] == "sen-chat-input"
    # No keyboard trap: Tab leaves the widget.
    press_until(page, "Tab", lambda f: not f["inWidget"])

    assert not watch.dialogs and not watch.errors, (watch.dialogs, watch.errors)

    # The conversation ran as web:<random session id>, never as a typed id.
    with sqlite3.connect(rasa_server.tracker_db) as db:
        senders = [row[0] for row in db.execute("select distinct sender_id from events where sender_id like 'web:%'")]
    assert senders and all(len(sender) == len("web:") + 32 for sender in senders), senders


@browser_test
def test_axe_reports_nothing_serious_with_the_panel_open(page, rasa_server, watch):
    page.goto(demo_url(rasa_server))
    serious, everything = axe_serious(page)
    assert not serious, "\n".join(everything)
    page.locator(LAUNCHER).click()
    expect()(page.locator(PANEL)).to_be_visible()
    serious, everything = axe_serious(page)
    assert not serious, "\n".join(everything)
    # Panel and log are named, the label is visible, the panel is a labelled dialog.
    assert page.locator(PANEL).get_attribute("role") == "dialog"
    expect()(page.locator("#sen-chat-title")).to_have_text("Ask about SEN support")
    expect()(page.get_by_role("dialog", name="Ask about SEN support")).to_be_visible()
    assert not watch.errors, watch.errors


# ---------------------------------------------------------------- records: identity is the web session


@pytest.fixture
def demo_family():
    """The demo school and family in the records database the action server uses, with a fresh code."""
    from bot.backend.db import make_engine
    from bot.backend.demo import load_demo
    from bot.backend.migrate import upgrade_to_head
    from bot.backend.staff import StaffService

    engine = make_engine()
    try:
        upgrade_to_head(engine)
        yield load_demo(StaffService(engine))
    finally:
        engine.dispose()


@browser_test
def test_a_link_code_links_this_web_session_only(page, rasa_server, watch, demo_family):
    code = demo_family.code.code
    page.goto(demo_url(rasa_server))
    page.locator(LAUNCHER).click()
    say(page, "what is my child's support plan")
    expect()(last_bot(page)).to_contain_text("link this chat")

    say(page, f"my code is {code}")
    expect()(last_bot(page)).to_contain_text("This chat is now linked to your account")
    # The code is never kept in the browser, nor in the tracker store.
    expect()(page.locator(USER).last).to_have_text("You said: my code is [link code]")
    stored = page.evaluate("() => JSON.stringify(Object.entries(sessionStorage))")
    assert code not in stored and code.replace("-", "") not in stored
    with sqlite3.connect(rasa_server.tracker_db) as db:
        events = "\n".join(row[0] for row in db.execute("select data from events where sender_id like 'web:%'"))
    assert code not in events and code.replace("-", "") not in events

    press_option(page, "Support plan")
    expect()(last_bot(page)).to_contain_text("Which child")
    press_option(page, "Sam")
    expect()(last_bot(page)).to_contain_text("Sam")
    expect()(last_bot(page)).not_to_contain_text("link this chat")

    # Another channel can't borrow this conversation by naming the web session as its sender.
    token = json.loads(page.evaluate("() => Object.values(sessionStorage)[0]"))["token"]
    session_id = token.split(".")[1]
    for sender in (session_id, f"web:{session_id}"):
        status, reply = post_json(rasa_server.webhook, {"sender": sender, "message": "what is my child's support plan"})
        assert status == 200
        assert "link this chat" in " ".join(m.get("text") or "" for m in reply), reply
    assert not watch.errors, watch.errors


# ---------------------------------------------------------------- injection, both ways


def host_page_without_csp(page) -> None:
    """Serve the demo page without its CSP, like a school site that has none: then an injected
    event handler would really run, so a missing dialog means something."""

    def strip(route) -> None:
        response = route.fetch()
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-security-policy"}
        route.fulfill(response=response, headers=headers)

    page.route("**/webhooks/web/demo", strip)


@browser_test
def test_what_the_parent_types_is_shown_as_text(page, rasa_server, watch):
    host_page_without_csp(page)
    page.goto(demo_url(rasa_server))
    page.locator(LAUNCHER).click()
    for attack in ["<img src=x onerror=alert(1)>", "<script>alert('x')</script>", '"><svg onload=alert(2)>']:
        say(page, attack)
        expect()(page.locator(USER).last.locator(".sen-chat-text")).to_have_text(attack)
    widget = page.locator("[data-sen-chat]")
    assert widget.locator("img, script, svg").count() == 0
    page.wait_for_timeout(300)  # time for any onerror/onload to have fired
    assert not watch.dialogs, watch.dialogs
    assert page.evaluate("() => document.querySelectorAll('img, svg').length") == 0


@browser_test
def test_html_in_a_reply_is_shown_as_text_and_only_https_becomes_a_link(page, rasa_server, watch):
    hostile = [
        {
            "text": "<b onmouseover=alert(1)>bold</b> read https://www.gov.uk/children-with-special-educational-needs. "
            "Not javascript:alert(2) nor http://insecure.example/x",
            "buttons": [{"title": "<i onclick=alert(3)>italic</i>", "payload": "/help"}],
        },
        {
            "custom": {
                "topic": "x",
                "sources": [
                    {"title": "<img src=x onerror=alert(4)>", "ref": "<u>r</u>", "url": "javascript:alert(5)"},
                    {"title": "Plain http", "ref": "r2", "url": "http://insecure.example/"},
                    {"title": "Good", "ref": "r3", "url": "https://www.gov.uk/"},
                ],
            }
        },
    ]
    page.route(
        "**/webhooks/web/message",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(hostile)),
    )
    host_page_without_csp(page)
    page.goto(demo_url(rasa_server))
    page.locator(LAUNCHER).click()
    say(page, "anything")
    reply = last_bot(page)
    expect()(reply.locator(".sen-chat-text")).to_contain_text("<b onmouseover=alert(1)>bold</b> read")
    assert reply.locator("b, i, u, img, script").count() == 0
    reply.hover()
    reply.locator(".sen-chat-text").hover()
    # Only https URLs are links: the one in the text and the one good source.
    hrefs = [a.get_attribute("href") for a in reply.locator("a").all()]
    assert hrefs == ["https://www.gov.uk/children-with-special-educational-needs", "https://www.gov.uk/"], hrefs
    expect()(reply.locator(".sen-chat-sources li").first).to_have_text("Source: <img src=x onerror=alert(4)> (<u>r</u>)")
    expect()(reply.locator("button")).to_have_text(["<i onclick=alert(3)>italic</i>"])
    reply.locator("button").click()
    page.wait_for_timeout(300)
    assert not watch.dialogs, watch.dialogs


# ---------------------------------------------------------------- typing, errors, motion


@browser_test
def test_typing_indicator_and_reduced_motion(browser, rasa_server, watch):
    context, page = open_page(browser, watch, reduced_motion="reduce")
    try:
        held: list = []
        page.route("**/webhooks/web/message", lambda route: held.append(route))
        page.goto(demo_url(rasa_server))
        page.locator(LAUNCHER).click()
        page.locator(INPUT).fill("hello")
        page.keyboard.press("Enter")
        typing = page.locator(".sen-chat-typing")
        expect()(typing).to_have_attribute("role", "status")
        expect()(typing).to_contain_text("The assistant is typing")
        expect()(typing.locator(".sen-chat-dots span").first).to_be_visible()
        assert typing.locator(".sen-chat-dots span").first.evaluate("el => getComputedStyle(el).animationName") == "none"
        for _ in range(50):
            if held:
                break
            page.wait_for_timeout(100)
        held[0].continue_()
        expect()(last_bot(page)).to_contain_text("Hello")
        expect()(typing).to_have_text("")
    finally:
        context.close()


@browser_test
def test_errors_get_a_calm_message_and_a_way_to_try_again(page, rasa_server, watch):
    page.goto(demo_url(rasa_server))
    page.locator(LAUNCHER).click()
    page.route("**/webhooks/web/message", lambda route: route.abort("internetdisconnected"))
    say(page, "hello")
    expect()(last_bot(page)).to_contain_text(COULD_NOT_REACH)
    page.unroute("**/webhooks/web/message")
    page.route("**/webhooks/web/message", lambda route: route.fulfill(status=502, body="Bad gateway"))
    press_option(page, "Try again", new_reply=False)
    expect()(last_bot(page)).to_contain_text(COULD_NOT_REACH)
    assert page.locator(f"{BOT}:has-text(\"{COULD_NOT_REACH}\")").count() == 1, "a retry replaces the old error"
    page.unroute("**/webhooks/web/message")
    press_option(page, "Try again", new_reply=False)
    expect()(last_bot(page)).to_contain_text("Hello. I can help you understand SEN support")
    # The parent's "hello" was shown once; errors are not kept across a reload.
    expect()(page.locator(USER)).to_have_count(1)
    page.reload()
    expect()(page.locator(BOT)).to_have_count(1)
    # An expired or forged token in storage: the widget quietly starts a new session.
    page.evaluate(
        """() => { for (const k of Object.keys(sessionStorage)) {
                     const v = JSON.parse(sessionStorage.getItem(k)); v.token = 'v1.forged'; sessionStorage.setItem(k, JSON.stringify(v)); } }"""
    )
    page.reload()
    say(page, "what can you do")
    expect()(last_bot(page)).to_contain_text("I can explain SEN support")
    assert not watch.dialogs


# ---------------------------------------------------------------- small screens and zoom


@browser_test
@pytest.mark.parametrize(
    "width, height",
    [(320, 640), (640, 400)],  # a phone; 200% zoom of a 1280x800 window
    ids=["320px", "200pc-zoom"],
)
def test_reflows_without_horizontal_scroll(browser, rasa_server, watch, width, height):
    context, page = open_page(browser, watch, viewport={"width": width, "height": height})
    try:
        page.goto(demo_url(rasa_server))
        no_horizontal_scroll(page)
        box = page.locator(LAUNCHER).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, box
        page.locator(LAUNCHER).click()
        say(page, "what does a SENCO do")
        say(page, "https://www.gov.uk/a-very-long-address-without-any-spaces-" + "x" * 120)
        no_horizontal_scroll(page)
        panel_inside_viewport(page)
        for selector in [INPUT, ".sen-chat-send", ".sen-chat-close", ".sen-chat-option"]:
            box = page.locator(selector).first.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (selector, box)
        overflow = page.locator(".sen-chat-msg").evaluate_all(
            "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).length"
        )
        assert overflow == 0
        serious, everything = axe_serious(page)
        assert not serious, "\n".join(everything)
        # Close and reopen at this size: focus still goes back to the launcher.
        page.keyboard.press("Escape")
        assert focused(page)["id"] == "sen-chat-launcher"
    finally:
        context.close()


# ---------------------------------------------------------------- the HTTP contract


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_widget_files_and_demo_page_are_served_with_safe_headers(rasa_server):
    base = f"{rasa_server.base_url}/webhooks/web"
    for name, content_type in [("widget.js", "application/javascript"), ("widget.css", "text/css")]:
        status, headers, body = fetch(f"{base}/{name}")
        assert status == 200 and body
        assert headers["content-type"].startswith(content_type)
        assert headers["x-content-type-options"] == "nosniff"
        assert "max-age" in headers["cache-control"]
        status, _, body = fetch(f"{base}/{name}", {"If-None-Match": headers["etag"]})
        assert status == 304 and not body
    status, headers, body = fetch(f"{base}/demo")
    assert status == 200 and headers["content-type"].startswith("text/html")
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert body.count(b"<script") == 1 and b'src="widget.js" defer' in body
    # Nothing else under static/ is reachable.
    assert fetch(f"{base}/demo.html")[0] == 404
    assert fetch(f"{base}/../web.py")[0] == 404
    widget = (Path(ROOT) / "bot" / "channels" / "static" / "widget.js").read_text(encoding="utf-8")
    assert "innerHTML" not in widget.replace("never innerHTML", "")


def test_sessions_are_signed_and_forged_tokens_are_refused(rasa_server):
    from bot.channels import web

    base = f"{rasa_server.base_url}/webhooks/web"
    status, body = post_json(f"{base}/session", {})
    assert status == 200
    token = body["session"]
    status, other = post_json(f"{base}/session", {})
    assert other["session"] != token

    status, reply = post_json(f"{base}/message", {"session": token, "message": "hello"})
    assert status == 200 and isinstance(reply, list) and reply
    assert all("recipient_id" not in message for message in reply)
    assert any("Hello" in (message.get("text") or "") for message in reply)

    _, session_id, issued, signature = token.split(".")
    forged = [
        None,
        "",
        "not-a-token",
        f"v1.{session_id}.{issued}.{'0' * 64}",
        f"v1.{'A' * 32}.{issued}.{signature}",  # someone else's id with this signature
        f"v1.{session_id}.{int(issued) + 1}.{signature}",
        web.new_session(now=time.time() - web.max_age() - 60)[1],  # expired
        web.new_session(now=time.time() + 3600)[1],  # from the future
        token + "x",
        {"nested": token},
    ]
    for bad in forged:
        status, reply = post_json(f"{base}/message", {"session": bad, "message": "hello"})
        assert status == 401, (bad, status, reply)
        assert isinstance(reply, dict) and reply["error"]
    status, reply = post_json(f"{base}/message", {"message": "hello"})
    assert status == 401


@pytest.mark.parametrize(
    "raw, status",
    [
        (b"{not json", 400),
        (b"", 400),
        (b"[1, 2]", 400),
        (b'{"session": "x", "message": {"nested": true}}', 400),
        (b'{"session": "x", "message": "' + b"a" * 70_000 + b'"}', 413),
    ],
)
def test_malformed_bodies_get_a_plain_4xx(rasa_server, raw, status):
    code, reply = post_json(f"{rasa_server.base_url}/webhooks/web/message", None, raw=raw)
    assert code == status
    assert isinstance(reply, dict) and reply["error"] and "Traceback" not in str(reply)


def test_an_empty_message_gets_a_calm_reply_without_rasa(rasa_server):
    base = f"{rasa_server.base_url}/webhooks/web"
    _, body = post_json(f"{base}/session", {})
    status, reply = post_json(f"{base}/message", {"session": body["session"], "message": "   "})
    assert status == 200 and reply[0]["text"].startswith("I didn't get any words there")
