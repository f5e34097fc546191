"""How replies look: one place for buttons and the `custom` payload every reply carries."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from bot.knowledge import Article
from bot.signposting import Signposting

TELL_ME_MORE = {"title": "Tell me more", "payload": "/tell_me_more"}
SOMETHING_ELSE = {"title": "Ask something else", "payload": "/help"}
URGENT_HELP = {"title": "Urgent help", "payload": "/crisis"}
SAFETY_LINE = "If you are worried that someone is in danger right now, call 999. For other urgent help, press Urgent help."


def send_article(dispatcher: CollectingDispatcher, article: Article, *, detail: bool = False) -> None:
    """The short answer (with a "Tell me more" button) or the detail of an article."""
    if detail:
        dispatcher.utter_message(text=article.more, buttons=[SOMETHING_ELSE], json_message=article.custom_payload())
    else:
        dispatcher.utter_message(text=article.short, buttons=[TELL_ME_MORE, SOMETHING_ELSE], json_message=article.custom_payload())


def send_crisis(dispatcher: CollectingDispatcher, article: Article) -> None:
    """Urgent help: the text alone, with no buttons to distract from it."""
    dispatcher.utter_message(text=article.short, json_message={**article.custom_payload(), "urgent": True})


def send_out_of_scope(dispatcher: CollectingDispatcher, signposting: Signposting, *, safety_first: bool = False) -> None:
    lines = [SAFETY_LINE] if safety_first else []
    lines += [
        "Sorry, I can't help with that. I can answer questions about SEN support at nursery, school or college, and about your own child's support plan.",
        "For other questions, these can help:",
        f"- {signposting.local_offer.one_line()}: {signposting.local_offer.description}",
        f"- {signposting.sendiass.one_line()}: {signposting.sendiass.description}",
        "- IPSEA gives free legal advice on special educational needs: https://www.ipsea.org.uk",
    ]
    dispatcher.utter_message(
        text="\n".join(lines),
        buttons=([URGENT_HELP] if safety_first else []) + [{"title": "What can you do?", "payload": "/help"}],
        json_message={"topic": "out_of_scope", "sources": signposting.sources()},
    )


def send_clarification(dispatcher: CollectingDispatcher, candidates: list[tuple[str, str]], *, safety_first: bool = False) -> None:
    """ "Did you mean ...?" with the likeliest topics as buttons. `candidates` is (topic, title)."""
    buttons = ([URGENT_HELP] if safety_first else []) + [{"title": title, "payload": f"/{topic}"} for topic, title in candidates]
    buttons.append({"title": "Something else", "payload": "/out_of_scope"})
    question = "I'm not sure I understood. Did you mean one of these?"
    dispatcher.utter_message(
        text=f"{SAFETY_LINE}\n{question}" if safety_first else question,
        buttons=buttons,
        json_message={"topic": candidates[0][0], "clarify": True, "candidates": [topic for topic, _ in candidates]},
    )
