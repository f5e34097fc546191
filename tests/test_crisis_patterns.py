"""The crisis safety net (bot.safety.crisis) on its own, without the model."""

from pathlib import Path

import pytest

from bot.safety.crisis import mentions_risk

HERE = Path(__file__).parent


def _lines(name):
    return [line.strip() for line in (HERE / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("message", _lines("not_crisis_phrasings.txt"))
def test_patterns_do_not_fire_on_ordinary_worries(message):
    assert not mentions_risk(message)


@pytest.mark.parametrize(
    "message",
    [
        "my son says he wants to kill himself",
        "she's been self-harming again",
        "he told me he doesn't want to be here anymore",
        "her stepdad hits her",
        "I'm scared to go home",
        "he took a load of pills",
        "she keeps saying everyone would be better off without her",
    ],
)
def test_patterns_fire_on_plain_statements_of_risk(message):
    assert mentions_risk(message)


def test_pattern_coverage_of_the_crisis_phrasings_is_measured():
    """The model covers what the patterns miss; the patterns alone should catch most."""
    lines = _lines("crisis_phrasings.txt")
    caught = sum(mentions_risk(line) for line in lines)
    assert caught / len(lines) >= 0.6, f"patterns caught only {caught}/{len(lines)}"


@pytest.mark.parametrize(
    "message",
    [
        "she has to take her tablets at lunch, can the TA help",
        "she took her meds this morning before school",
        "he needs to take his medication in school",
        "did the school get my note about the review",
        "i feel like im banging my head against a brick wall with the senco",
        "the school killed his confidence",
    ],
)
def test_everyday_mentions_of_medicine_and_idioms_are_not_a_risk(message):
    assert not mentions_risk(message)
