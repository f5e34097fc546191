"""A parent's own child's records: link this chat, plan status, next review, SENCO contact,
leave a message, forget me.

Thin by design: who is asking comes ONLY from the channel's signature
(`verified_identity(tracker.sender_id, tracker.latest_message)`), never from a slot or the
sender id alone; a link code comes ONLY from the sealed metadata the channel wrote. The
connector (bot.backend) checks the binding and the parent-child link, audits, and returns
a result value; this module turns it into a short, calm reply. Every reply carries
`custom.topic`. Nothing here logs a code, a name or a message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any, Callable, Iterable

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import rendering
from bot.backend import get_connector
from bot.backend.results import (
    ChildNotFound,
    Children,
    ChildSummary,
    ChooseChild,
    CodeRefused,
    Contact,
    Forgotten,
    LockedOut,
    MessageLeft,
    MessageRefused,
    NextReview,
    NoChildren,
    NotVerified,
    PlanStatus,
    SchoolNotFound,
    SencoContact,
    Unavailable,
    Verified,
)
from bot.knowledge import load_knowledge_base
from bot.safety.crisis import mentions_risk
from bot.schedule import clock as schedule_clock
from bot.schedule.calendar import LONDON, Availability, describe
from bot.schedule.hours import clock
from bot.security import sealed_codes
from bot.security.identity import Identity, verified_identity
from bot.signposting import Signposting, load_signposting

logger = logging.getLogger(__name__)

CALL_TIMEOUT_SECONDS = 10
MAX_REF_CHARS = 64
MAX_OUTCOMES_CHARS = 700
CANCEL_WORDS = {"cancel", "stop", "no", "nope", "never mind", "nevermind", "forget it", "quit", "exit"}

LEAVE_MESSAGE_FORM = "leave_message_form"
SLOT_CHILD = "child_ref"
SLOT_MESSAGE = "senco_message"

CODE_EXAMPLE = "ABCDE-12345"
HOW_TO_LINK = (
    "To keep your child's details safe, I need to link this chat to you first. "
    f"Ask your child's school office or SENCO for a link code. It looks like {CODE_EXAMPLE}. "
    "When you have it, type it here."
)

PLAN_WORDS = {
    "draft": "being written. It is still a draft",
    "active": "active. This means it is being used now",
    "under_review": "being reviewed. The school is checking how it is going",
    "ended": "ended. It is not being used any more",
}


# --- helpers -----------------------------------------------------------------------------


def identity_of(tracker: Tracker) -> Identity | None:
    return verified_identity(tracker.sender_id, tracker.latest_message or {})


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and isinstance(entity.get("value"), str):
            value = entity["value"].strip()
            if value and len(value) <= MAX_REF_CHARS:
                return value
    return None


def sealed_code(tracker: Tracker) -> str | None:
    """The link code the channel sealed into this message's metadata, if any."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    token = metadata.get(sealed_codes.METADATA_KEY) if isinstance(metadata, dict) else None
    if not isinstance(token, str) or not token:
        return None
    return sealed_codes.open_sealed(token, tracker.sender_id)


def has_sealed_token(tracker: Tracker) -> bool:
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return isinstance(metadata, dict) and bool(metadata.get(sealed_codes.METADATA_KEY))


async def call(method: str, *args: Any) -> Any:
    """Run a connector method off the event loop, with a ceiling. Never raises."""
    try:
        bound: Callable[..., Any] = getattr(get_connector(), method)
        return await asyncio.wait_for(asyncio.to_thread(bound, *args), timeout=CALL_TIMEOUT_SECONDS)
    except Exception as error:  # noqa: BLE001 - a reply, not a stack trace
        logger.warning("records action: connector call failed (%s)", type(error).__name__)
        return Unavailable()


def say(dispatcher: CollectingDispatcher, topic: str, text: str, buttons: list[dict] | None = None, **extra: Any) -> None:
    dispatcher.utter_message(text=text, buttons=buttons or [], json_message={"topic": topic, **extra})


def local_date(value: dt.datetime) -> str:
    local = value.astimezone(LONDON)
    return f"{local.day} {local:%B %Y}"


def local_date_time(value: dt.datetime) -> str:
    local = value.astimezone(LONDON)
    return f"{local:%A} {local.day} {local:%B %Y} at {clock(local.time())}"


def _titles(children: Iterable[ChildSummary]) -> list[tuple[ChildSummary, str]]:
    children = list(children)
    names = [c.first_name for c in children]
    return [(c, c.first_name if names.count(c.first_name) == 1 else f"{c.first_name} ({c.school_name})") for c in children]


def child_buttons(intent: str, children: Iterable[ChildSummary]) -> list[dict]:
    return [{"title": title, "payload": f'/{intent}{{"child_ref": "{child.ref}"}}'} for child, title in _titles(children)]


def names_list(children: Iterable[ChildSummary]) -> str:
    names = [title for _, title in _titles(children)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def contact_lines(contact: Contact) -> list[str]:
    role = contact.role or "SENCO"
    lines = [f"The {role} at {contact.school_name} is {contact.name}."]
    if contact.email:
        lines.append(f"Email: {contact.email}")
    if contact.phone:
        lines.append(f"Phone: {contact.phone}")
    if contact.contact_hours.periods:
        lines.append(f"They can usually be reached: {contact.contact_hours.describe()}.")
    if contact.school_hours.periods and contact.school_hours != contact.contact_hours:
        lines.append(f"The school is open: {contact.school_hours.describe()}.")
    return lines


# --- out of hours ------------------------------------------------------------------------


def availability_of(contact: Contact) -> Availability:
    """Can this school's SENCO be reached now? `now` is the assistant's one clock
    (bot.schedule.clock.now, which tests and demos set with SEN_CLOCK_OVERRIDE)."""
    return contact.calendar.availability(schedule_clock.now())


def availability_payload(availability: Availability) -> dict[str, Any]:
    """custom.out_of_hours / office_open / next_available, for channels and tests."""
    nxt = availability.next_available
    return {
        "out_of_hours": availability.out_of_hours,
        "office_open": availability.office_open,
        "next_available": nxt.astimezone(LONDON).isoformat() if nxt is not None else None,
    }


def _who(contact: Contact) -> str:
    return f"{contact.name}, the {contact.role or 'SENCO'} at {contact.school_name},"


def closed_lines(contact: Contact, availability: Availability) -> list[str]:
    """"The school is closed right now." and when the SENCO can next be reached."""
    if availability.office_open:
        lines = [f"{_who(contact)} is not available right now. The school office is open."]
        whom = "them"
    else:
        lines = ["The school is closed right now."]
        whom = _who(contact)  # "Ms Shah, the SENCO at Oakfield Primary School,"
    when = availability.when_next()
    if when:
        lines.append(f"The next time you can reach {whom} is {when}.")
    else:
        lines.append("I don't know when the school will be open again. Please check the school's website.")
    return lines


def signposting_lines(signposting: Signposting) -> list[str]:
    return [
        "While you wait, these can help:",
        f"- {signposting.toolkit.one_line()}: what schools in your area should do at SEN support.",
        "- The SEND Code of Practice (GOV.UK): the official guidance on SEN support.",
        f"- {signposting.sendiass.one_line()}: free, independent advice for parents.",
    ]


def when_it_will_be_read(contact: Contact, availability: Availability) -> list[str]:
    """After a message is left: when the SENCO will read it (out of hours), or their usual hours."""
    if not availability.out_of_hours:
        if contact.contact_hours.periods:
            return [f"They can usually reply {contact.contact_hours.describe()}. If it's urgent, phone the school office."]
        return ["If it's urgent, phone the school office."]
    first = f"{contact.name} is not available right now." if availability.office_open else "The school is closed right now."
    when = availability.when_next()
    lines = [f"{first} They can read your message when they are next in: {when}." if when else f"{first} They will read your message when the school is open again."]
    if availability.office_open:
        lines.append("If it's urgent, phone the school office.")
    else:
        opens = contact.calendar.next_office_time(availability.now)
        lines.append("If it can't wait, phone the school office when it opens" + (f" ({describe(opens, availability.now)})." if opens else "."))
    return lines


def send_out_of_hours_contact(
    dispatcher: CollectingDispatcher, contact: Contact, availability: Availability, *, verified: bool, child: ChildSummary | None
) -> None:
    signposting = load_signposting()
    lines = closed_lines(contact, availability)
    if verified:
        lines.append(
            "You can leave a message for them here"
            + (f", or email {contact.email}" if contact.email else "")
            + ". They will see it when they are back. Would you like to leave a message?"
        )
    else:
        lines.append("If your child is at this school, you can link this chat with a code from school and leave a message here.")
        if contact.email:
            lines.append(f"Or email them at {contact.email}. They will see it when they are back.")
    lines.extend(signposting_lines(signposting))
    suffix = f'{{"child_ref": "{child.ref}"}}' if child else ""
    buttons = [{"title": "Leave a message", "payload": f"/leave_message{suffix}"}, {"title": "No thanks", "payload": "/deny"}]
    say(
        dispatcher,
        "senco_contact",
        "\n".join(lines),
        buttons,
        **availability_payload(availability),
        sources=signposting.out_of_hours_sources(),
    )


def how_to_reach(contact: Contact | None) -> str:
    if contact is None:
        return "contact the SENCO"
    ways = " or ".join(x for x in (f"email {contact.email}" if contact.email else "", f"phone {contact.phone}" if contact.phone else "") if x)
    return f"contact {contact.name}, the {contact.role or 'SENCO'}" + (f" ({ways})" if ways else "")


def send_unavailable(dispatcher: CollectingDispatcher, topic: str) -> None:
    sendiass = load_signposting().sendiass
    advice = f"For free, impartial advice, contact {sendiass.name}"
    advice += (f" (phone {sendiass.phone})" if sendiass.phone else "") + (f": {sendiass.url}" if sendiass.url else "") + "."
    say(
        dispatcher,
        topic,
        "Sorry, I can't reach the school records just now. Please try again a bit later.\n"
        "If you need to talk to someone, phone your child's school office and ask for the SENCO.\n" + advice,
        unavailable=True,
    )


def send_not_verified(dispatcher: CollectingDispatcher, topic: str, result: NotVerified | None = None) -> None:
    if result is not None and not result.identity_proven:
        say(dispatcher, topic, "Sorry, I couldn't check which chat this message came from, so I can't show any records. Please try again in a moment.")
        return
    say(dispatcher, topic, HOW_TO_LINK, [{"title": "Contact the SENCO", "payload": "/senco_contact"}])


def send_common(dispatcher: CollectingDispatcher, topic: str, intent: str, result: Any) -> bool:
    """Replies shared by every records action. True if `result` was one of them."""
    if isinstance(result, Unavailable):
        send_unavailable(dispatcher, topic)
    elif isinstance(result, NotVerified):
        send_not_verified(dispatcher, topic, result)
    elif isinstance(result, NoChildren):
        say(dispatcher, topic, "Your account isn't linked to any children yet. Please ask the school office or the SENCO to check this.")
    elif isinstance(result, ChooseChild):
        say(dispatcher, topic, "Which child would you like to ask about?", child_buttons(intent, result.children))
    elif isinstance(result, ChildNotFound):
        text = "Sorry, I can't find that child on your account."
        if result.children:
            say(dispatcher, topic, text + " Which child do you mean?", child_buttons(intent, result.children))
        else:
            say(dispatcher, topic, text)
    else:
        return False
    return True


# --- actions -----------------------------------------------------------------------------


class ActionVerify(Action):
    """Link this chat to a parent with the one-time code from school."""

    def name(self) -> str:
        return "action_verify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        identity = identity_of(tracker)
        code = sealed_code(tracker)
        if code is None and has_sealed_token(tracker):
            # A sealed code that doesn't open for this conversation: replayed or tampered.
            # It counts as a wrong try, like any code that doesn't work.
            code = "-"
        if code is None:
            result = await call("my_children", identity)
            if isinstance(result, Children):
                say(dispatcher, "verify", f"This chat is already linked to your account. You can ask me about {names_list(result.children)}.", _menu())
            elif isinstance(result, NotVerified) and result.identity_proven:
                say(dispatcher, "verify", f"Please type the link code from school here. It looks like {CODE_EXAMPLE}.\nIf you don't have one, ask your child's school office or SENCO for one.")
            elif not send_common(dispatcher, "verify", "plan_status", result):
                send_unavailable(dispatcher, "verify")
            return []

        result = await call("redeem_code", identity, code)
        if isinstance(result, Verified):
            if result.already_linked:
                text = "This chat is already linked to your account."
            else:
                text = "Thank you. This chat is now linked to your account."
            if result.children:
                text += f" I can tell you about {names_list(result.children)}: the support plan, the next review, and how to contact the SENCO."
            text += '\nTo unlink this chat at any time, say "forget me".'
            say(dispatcher, "verify", text, _menu())
        elif isinstance(result, CodeRefused):
            if result.reason == "other_account":
                say(dispatcher, "verify", 'This chat is already linked to a different account. To link another account, first say "forget me", then type the code again.')
            elif result.reason == "no_longer_valid":
                say(dispatcher, "verify", "Sorry, that code can't be used any more. Codes work once, and only for a short time. Please ask the school office or the SENCO for a new one.")
            else:
                text = f"Sorry, that code didn't work. Please check it and try again. It looks like {CODE_EXAMPLE}."
                if result.tries_left is not None and result.tries_left <= 2:
                    text += f" You can try {result.tries_left} more time{'s' if result.tries_left != 1 else ''} before I pause for an hour."
                say(dispatcher, "verify", text)
        elif isinstance(result, LockedOut):
            when = f" after {clock(result.until.astimezone(LONDON).time())}" if result.until else " in an hour"
            say(
                dispatcher,
                "verify",
                "That code didn't work a few times, so to keep records safe I've paused checking codes for this chat. "
                f"Please try again{when}. If you need help now, contact your child's school office.",
            )
        elif not send_common(dispatcher, "verify", "plan_status", result):
            send_unavailable(dispatcher, "verify")
        return []


def _menu(child: ChildSummary | None = None) -> list[dict]:
    suffix = f'{{"child_ref": "{child.ref}"}}' if child else ""
    return [
        {"title": "Support plan", "payload": f"/plan_status{suffix}"},
        {"title": "Next review", "payload": f"/next_review_date{suffix}"},
        {"title": "Contact the SENCO", "payload": f"/senco_contact{suffix}"},
    ]


class ActionPlanStatus(Action):
    def name(self) -> str:
        return "action_plan_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        result = await call("plan_status", identity_of(tracker), _entity(tracker, "child_ref"))
        if send_common(dispatcher, "plan_status", "plan_status", result):
            return []
        if not isinstance(result, PlanStatus) or result.child is None:
            send_unavailable(dispatcher, "plan_status")
            return []
        child = result.child
        buttons = [
            {"title": "Next review", "payload": f'/next_review_date{{"child_ref": "{child.ref}"}}'},
            {"title": "Contact the SENCO", "payload": f'/senco_contact{{"child_ref": "{child.ref}"}}'},
        ]
        if result.status is None:
            say(dispatcher, "plan_status", f"I can't see an SEN support plan for {child.first_name} yet. If you think there should be one, ask the SENCO.", buttons)
            return []
        lines = [f"{child.first_name}'s SEN support plan is {PLAN_WORDS.get(result.status, result.status)}."]
        if result.last_updated:
            lines.append(f"It was last updated on {local_date(result.last_updated)}.")
        outcomes = result.outcomes.strip()
        if outcomes:
            if len(outcomes) > MAX_OUTCOMES_CHARS:
                outcomes = outcomes[:MAX_OUTCOMES_CHARS].rsplit(" ", 1)[0] + " ..."
            lines.append(f"What the plan is working towards (the outcomes):\n{outcomes}")
        lines.append("For the full plan, or if something doesn't look right, talk to the SENCO.")
        say(dispatcher, "plan_status", "\n".join(lines), buttons)
        return []


class ActionNextReviewDate(Action):
    def name(self) -> str:
        return "action_next_review_date"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        result = await call("next_review", identity_of(tracker), _entity(tracker, "child_ref"))
        if send_common(dispatcher, "next_review_date", "next_review_date", result):
            return []
        if not isinstance(result, NextReview) or result.child is None:
            send_unavailable(dispatcher, "next_review_date")
            return []
        child = result.child
        buttons = [
            {"title": "Leave a message", "payload": f'/leave_message{{"child_ref": "{child.ref}"}}'},
            {"title": "How reviews work", "payload": "/review_stage"},
        ]
        if result.scheduled_at is None:
            say(
                dispatcher,
                "next_review_date",
                f"I can't see a review booked for {child.first_name} yet.\nTo ask when it will be, {how_to_reach(result.contact)}, or leave a message here.",
                buttons,
            )
            return []
        say(
            dispatcher,
            "next_review_date",
            f"{child.first_name}'s next review is on {local_date_time(result.scheduled_at)} (UK time).\n"
            f"If you can't make it, or want to move it, {how_to_reach(result.contact)}, or leave a message here.\n"
            f"To get ready: note what is going well and what is hard, ask {child.first_name} what they think, "
            "and write down your questions. You can bring someone with you for support.",
            buttons,
            review_at=result.scheduled_at.isoformat(),
        )
        return []


class ActionSencoContact(Action):
    """The SENCO of the parent's child's school; or, without verification, of a named school."""

    def name(self) -> str:
        return "action_senco_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        identity = identity_of(tracker)
        school_ref = _entity(tracker, "school_ref")
        child_ref = _entity(tracker, "child_ref")
        verified = False
        if school_ref:
            result = await call("public_senco_contact", identity, None, school_ref)
        else:
            result = await call("senco_contact", identity, child_ref)
            verified = isinstance(result, SencoContact)
            if isinstance(result, NotVerified):
                # A school's SEN contact is public: give it for a school named in the message.
                result = await call("public_senco_contact", identity, (tracker.latest_message or {}).get("text") or "", None)
        if isinstance(result, SencoContact) and result.contacts:
            availability = availability_of(result.contacts[0])
            if availability.out_of_hours:
                send_out_of_hours_contact(dispatcher, result.contacts[0], availability, verified=verified, child=result.child)
                return []
            lines: list[str] = []
            for contact in result.contacts:
                lines.extend(contact_lines(contact))
            buttons = []
            if verified:
                suffix = f'{{"child_ref": "{result.child.ref}"}}' if result.child else ""
                buttons.append({"title": "Leave a message", "payload": f"/leave_message{suffix}"})
            else:
                lines.append("If your child is at this school, you can link this chat with a code from school to see their plan and reviews.")
            say(dispatcher, "senco_contact", "\n".join(lines), buttons, **availability_payload(availability))
        elif isinstance(result, SchoolNotFound):
            if result.schools:
                buttons = [{"title": name, "payload": f'/senco_contact{{"school_ref": "{ref}"}}'} for ref, name in result.schools]
                say(dispatcher, "senco_contact", "Which school is it?", buttons)
            else:
                say(
                    dispatcher,
                    "senco_contact",
                    "Which school is your child at? Type its name, for example: SENCO at Oakfield Primary.\n"
                    "Every school publishes its SENCO's name and contact details on its website, in its SEN information report.",
                )
        elif not send_common(dispatcher, "senco_contact", "senco_contact", result):
            send_unavailable(dispatcher, "senco_contact")
        return []


class ActionLeaveMessage(Action):
    """Two steps: choose the child and ask for the text (the form), then store it."""

    def name(self) -> str:
        return "action_leave_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text = tracker.get_slot(SLOT_MESSAGE)
        if isinstance(text, str) and text.strip():
            return await self._submit(dispatcher, tracker, text.strip())
        return await self._start(dispatcher, tracker)

    async def _start(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
        result = await call("my_children", identity_of(tracker))
        if isinstance(result, NotVerified) and result.identity_proven:
            say(
                dispatcher,
                "leave_message",
                "To leave a message for the SENCO, I need to link this chat to you first. "
                f"Ask your child's school office or SENCO for a link code. It looks like {CODE_EXAMPLE}. When you have it, type it here.",
                [{"title": "Contact the SENCO", "payload": "/senco_contact"}],
            )
            return [SlotSet(SLOT_CHILD, None)]
        if not isinstance(result, Children):
            if not send_common(dispatcher, "leave_message", "leave_message", result):
                send_unavailable(dispatcher, "leave_message")
            return [SlotSet(SLOT_CHILD, None)]
        wanted = _entity(tracker, "child_ref")
        chosen = next((c for c in result.children if c.ref == wanted), None) if wanted else None
        if chosen is None and wanted is None and len(result.children) == 1:
            chosen = result.children[0]
        if chosen is None:
            text = "Which child is your message about?" if wanted is None else "Sorry, I can't find that child on your account. Which child is your message about?"
            say(dispatcher, "leave_message", text, child_buttons("leave_message", result.children))
            return [SlotSet(SLOT_CHILD, None)]
        return [SlotSet(SLOT_CHILD, chosen.ref), SlotSet(SLOT_MESSAGE, None), FollowupAction(LEAVE_MESSAGE_FORM)]

    async def _submit(self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> list[dict]:
        reset = [SlotSet(SLOT_MESSAGE, None), SlotSet(SLOT_CHILD, None)]
        if text.lower().strip(" .!") in CANCEL_WORDS or text.startswith("/"):
            say(dispatcher, "leave_message", "OK, I haven't sent anything. Is there anything else I can help with?")
            return reset
        if mentions_risk(text):
            # Urgent help first; the message still goes to the school, flagged.
            article = load_knowledge_base().get("crisis")
            if article is not None:
                rendering.send_crisis(dispatcher, article)
        result = await call("leave_message", identity_of(tracker), tracker.get_slot(SLOT_CHILD), text)
        if isinstance(result, MessageLeft):
            contact = result.contact
            who = f"{contact.name}, the {contact.role or 'SENCO'} at {contact.school_name}" if contact else "the SENCO"
            lines = [f"Thank you. I've passed your message to {who}.", f"Your reference is {result.reference}."]
            extra: dict[str, Any] = {}
            if contact is not None:
                availability = availability_of(contact)
                extra = availability_payload(availability)
                lines.extend(when_it_will_be_read(contact, availability))
            else:
                lines.append("If it's urgent, phone the school office.")
            say(dispatcher, "leave_message", "\n".join(lines), reference=result.reference, **extra)
        elif isinstance(result, MessageRefused):
            if result.reason == "too_long":
                say(dispatcher, "leave_message", f"Sorry, that message is too long for me to pass on (the limit is {result.limit} characters). Please say \"leave a message\" and send a shorter one.")
            else:
                say(dispatcher, "leave_message", "I didn't get any words to pass on, so I haven't sent anything.")
        elif isinstance(result, Unavailable):
            say(
                dispatcher,
                "leave_message",
                "Sorry, I couldn't pass your message on just now, so it has not been sent. Please try again later, or phone the school office.",
                unavailable=True,
            )
        elif not send_common(dispatcher, "leave_message", "leave_message", result):
            send_unavailable(dispatcher, "leave_message")
        return reset


class ActionForgetMe(Action):
    def name(self) -> str:
        return "action_forget_me"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        result = await call("forget_me", identity_of(tracker))
        if isinstance(result, Forgotten):
            if result.was_linked:
                say(
                    dispatcher,
                    "verify",
                    "Done. This chat is no longer linked to your account, so I can't show your child's records here any more.\n"
                    "To link it again, you'll need a new code from school.",
                )
            else:
                say(dispatcher, "verify", "This chat isn't linked to any account, so there is nothing to unlink.")
        elif isinstance(result, NotVerified):
            send_not_verified(dispatcher, "verify", result)
        else:
            send_unavailable(dispatcher, "verify")
        return [SlotSet(SLOT_CHILD, None), SlotSet(SLOT_MESSAGE, None)]
