"""The knowledge base: every topic answered, sourced, reviewed and readable."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import textstat
import yaml

from bot.knowledge import load_knowledge_base
from bot.knowledge.store import ARTICLES_DIR, KnowledgeError, parse_article
from bot.signposting import DEFAULT_FILE, load_signposting

KB = load_knowledge_base()
TODAY = dt.date.today()
MAX_SHORT_WORDS = {"crisis": 110}
LEGAL_REF = re.compile(r"^(CoP \d|CoP ch\.\d|SEND Regulations|Children and Families Act)")


def test_every_knowledge_topic_has_an_article():
    assert set(KB.knowledge_topics) - set(KB.articles) == set()
    assert "crisis" in KB.articles


def test_no_article_without_a_topic():
    known = set(KB.knowledge_topics) | {"crisis"}
    assert set(KB.articles) - known == set()


@pytest.mark.parametrize("topic", sorted(KB.articles))
def test_article_is_sourced_reviewed_and_readable(topic):
    article = KB.get(topic)
    assert article.sources, "no sources"
    if topic != "crisis":
        assert any(LEGAL_REF.match(source.ref) for source in article.sources), "needs a Code of Practice, statute or regulation reference"
    assert all(source.url.startswith("https://") for source in article.sources)
    age = TODAY - article.reviewed
    assert dt.timedelta(0) <= age <= dt.timedelta(days=365), f"reviewed {article.reviewed}: over 12 months old"
    assert article.owner
    words = len(article.short.split())
    assert words <= MAX_SHORT_WORDS.get(topic, 90), f"short answer has {words} words"
    grade = textstat.flesch_kincaid_grade(article.short)
    assert grade <= 9, f"short answer reads at grade {grade}"
    assert len(article.title) <= 40
    assert len(article.more.split()) >= 40


def test_crisis_article_gives_every_urgent_number():
    text = KB.get("crisis").short
    for needle in ("999", "111", "option 2", "0800 1111", "116 123", "safeguarding"):
        assert needle in text


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"sources": []}, "missing sources"),
        ({"reviewed": None}, "missing reviewed"),
        ({"id": "something_else"}, "does not match"),
        ({"sources": [{"title": "x", "ref": "y", "url": "http://insecure"}]}, "https"),
    ],
)
def test_a_broken_article_is_refused(change, problem):
    path = ARTICLES_DIR / "funding.yml"
    data = {**yaml.safe_load(path.read_text()), **change}
    with pytest.raises(KnowledgeError, match=problem):
        parse_article(data, path)


def test_signposting_has_national_defaults_and_is_reviewed():
    signposting = load_signposting(DEFAULT_FILE)
    urls = {source.url for source in signposting.national}
    assert "https://www.ipsea.org.uk" in urls
    assert any("send-code-of-practice" in url for url in urls)
    reviewed = yaml.safe_load(DEFAULT_FILE.read_text())["reviewed"]
    assert TODAY - reviewed <= dt.timedelta(days=365)
