"""Loads and validates the knowledge articles that every answer is rendered from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT

KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
ARTICLES_DIR = KNOWLEDGE_DIR / "articles"
TOPICS_FILE = KNOWLEDGE_DIR / "topics.yml"


class KnowledgeError(ValueError):
    """An article is missing or malformed."""


@dataclass(frozen=True)
class Source:
    title: str
    ref: str
    url: str

    def as_payload(self) -> dict[str, str]:
        return {"title": self.title, "ref": self.ref, "url": self.url}


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    short: str
    more: str
    sources: tuple[Source, ...]
    reviewed: dt.date
    owner: str

    def custom_payload(self) -> dict:
        """The `custom` part of a reply, as the contract in knowledge/topics.yml says."""
        return {
            "topic": self.id,
            "sources": [source.as_payload() for source in self.sources],
            "reviewed": self.reviewed.isoformat(),
        }


_REQUIRED = ("id", "title", "short", "more", "sources", "reviewed", "owner")


def parse_article(data: dict, path: Path) -> Article:
    if not isinstance(data, dict):
        raise KnowledgeError(f"{path.name}: not a mapping")
    missing = [key for key in _REQUIRED if not data.get(key)]
    if missing:
        raise KnowledgeError(f"{path.name}: missing {', '.join(missing)}")
    if data["id"] != path.stem:
        raise KnowledgeError(f"{path.name}: id {data['id']!r} does not match the file name")
    reviewed = data["reviewed"]
    if isinstance(reviewed, str):
        reviewed = dt.date.fromisoformat(reviewed)
    if not isinstance(reviewed, dt.date):
        raise KnowledgeError(f"{path.name}: reviewed must be a date (YYYY-MM-DD)")
    sources = []
    for item in data["sources"]:
        if not all(isinstance(item.get(key), str) and item[key] for key in ("title", "ref", "url")):
            raise KnowledgeError(f"{path.name}: each source needs title, ref and url")
        if not item["url"].startswith("https://"):
            raise KnowledgeError(f"{path.name}: source url must be https: {item['url']}")
        sources.append(Source(item["title"], item["ref"], item["url"]))
    return Article(
        id=data["id"],
        title=str(data["title"]).strip(),
        short=" ".join(str(data["short"]).split()),
        more=str(data["more"]).strip(),
        sources=tuple(sources),
        reviewed=reviewed,
        owner=str(data["owner"]).strip(),
    )


@dataclass(frozen=True)
class KnowledgeBase:
    articles: dict[str, Article]
    knowledge_topics: tuple[str, ...]
    records_topics: tuple[str, ...]
    conversation_topics: tuple[str, ...]

    def get(self, topic: str) -> Article | None:
        return self.articles.get(topic)

    def title_for(self, topic: str) -> str:
        article = self.articles.get(topic)
        if article:
            return article.title
        return RECORDS_TITLES.get(topic, topic.replace("_", " ").capitalize())

    @property
    def answerable_topics(self) -> tuple[str, ...]:
        """Topics a parent can pick from a "Did you mean ...?" list."""
        return self.knowledge_topics + self.records_topics


# Button labels for topics answered from a child's records (no article behind them).
RECORDS_TITLES = {
    "plan_status": "My child's support plan",
    "next_review_date": "My child's next review",
    "senco_contact": "Contact the SENCO",
    "leave_message": "Leave a message for the SENCO",
}


def load_topics(path: Path = TOPICS_FILE) -> dict[str, tuple[str, ...]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {section: tuple(item["id"] for item in data[section]) for section in ("knowledge", "records", "conversation")}


@lru_cache(maxsize=4)
def load_knowledge_base(articles_dir: Path = ARTICLES_DIR, topics_file: Path = TOPICS_FILE) -> KnowledgeBase:
    topics = load_topics(topics_file)
    articles: dict[str, Article] = {}
    for path in sorted(articles_dir.glob("*.yml")):
        article = parse_article(yaml.safe_load(path.read_text(encoding="utf-8")), path)
        articles[article.id] = article
    return KnowledgeBase(
        articles=articles,
        knowledge_topics=topics["knowledge"],
        records_topics=topics["records"],
        conversation_topics=topics["conversation"],
    )
