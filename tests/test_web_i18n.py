"""The web platform's one message catalogue (:data:`tanzuji.web.i18n.MESSAGES`): every entry
in Chinese and English, every key a template names present, and every value the pages turn
into a key (``t("state." + value)``) present for each value of its enumeration."""

from __future__ import annotations

import re
from string import Formatter

from tanzuji.certify.records import LabelType, State
from tanzuji.footprint import Iso14067Lines
from tanzuji.services import certification
from tanzuji.web import i18n
from tanzuji.web.pages import TEMPLATES

#: ``t("key"...)`` and ``tr("key", default)`` with a literal key (or the literal start of a
#: key made from a value: ``t("state." + application.state.value)``).
CALL = re.compile(r"""\b(?:t|tr)\(\s*(["'])([^"']+)\1""")
#: A key handed to an included template that calls ``t(caption)`` (app_table.html).
CAPTION = re.compile(r"""\bcaption\s*=\s*(["'])([^"']+)\1""")
#: The page's steps besides the verifier's review actions (applications.py ``_take``).
STEPS = ["apply", "submit", "evidence", "revise", "answer", "decide", "issue", "certificate-event"]


def _template_keys() -> set[str]:
    used: set[str] = set()
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text("utf-8")
        used |= {key for _, key in CALL.findall(text)}
        used |= {key for _, key in CAPTION.findall(text)}
    return used


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def test_every_entry_has_chinese_and_english_with_the_same_placeholders() -> None:
    # the public pages', the role pages' and the errors' words: one catalogue
    assert {"site.name", "app.step.waive", "steward.title", "error.not_found"} <= set(i18n.MESSAGES)
    problems = []
    for key, entry in i18n.MESSAGES.items():
        if set(entry) != {"zh", "en"} or not all(text.strip() for text in entry.values()):
            problems.append(f"{key}: {entry}")
        elif _fields(entry["zh"]) != _fields(entry["en"]):
            problems.append(f"{key}: placeholders {_fields(entry['zh'])} / {_fields(entry['en'])}")
    assert problems == []


def test_every_key_the_templates_name_exists() -> None:
    used = _template_keys()
    assert {"site.name", "app.step.certificate-event", "status.", "review.waiting"} <= used
    # a key ending in "." starts the keys made from a value: each family is checked whole
    # against its enumeration below
    prefixes = {key for key in used if key.endswith(".")}
    assert sorted(p for p in prefixes if not any(k.startswith(p) for k in i18n.MESSAGES)) == []
    assert sorted(used - prefixes - set(i18n.MESSAGES)) == []


def test_every_value_shown_has_its_words_in_both_languages() -> None:
    families = {
        "state.": [s.value for s in State],
        "label.": [t.value for t in LabelType],
        "iso.": list(Iso14067Lines.model_fields),
        "app.step.": [a.value for a in certification.ReviewAction] + STEPS,
        "app.event.": ["suspended", "reinstated", "revoked"],
    }
    missing = [
        p + v for p, values in families.items() for v in values if p + v not in i18n.MESSAGES
    ]
    assert missing == []
