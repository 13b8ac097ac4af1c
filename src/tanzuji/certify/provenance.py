"""The factor gate: a certified result rests on sourced, published factors, or on a waiver.

A footprint lists every factor it used (``inputs.factors``: id, version, content hash, the
``illustrative`` flag, the citation and, for database versions that are not published, their
status). A factor is a *concern* when it is

* ``illustrative`` — its author flagged it as a placeholder (``illustrative: true`` in the
  model, the ``illustrative`` column of a factor CSV);
* ``unsourced`` — it has no citation, or the citation says it is a placeholder
  (:data:`PLACEHOLDER_WORDS`, :data:`EMPTY_CITATIONS`);
* ``draft`` — a database version whose review status is ``draft`` or ``under_review``, or
  ``deprecated`` — one withdrawn after a release pinned it (``factors review``). The database
  source resolves published versions only, so these reach a footprint through a release alone.

The certification workflow refuses the verifier's sign-off and the approval while a concern
has no waiver: the verifier's statement, with a reason, that the factor may stand in this
certified result (ISO 14067:2018 6.3.5 asks for data of stated quality and source; a waiver
makes the exception explicit). Waivers are bound to the factor's content hash, so a changed
factor needs a new one, and every waiver is printed in the signed certificate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel

Concern = Literal["illustrative", "unsourced", "draft", "deprecated"]

#: Words that, inside a citation, say the value is not sourced (case-insensitive). The example
#: data of the project writes "ILLUSTRATIVE: ... a placeholder"; 示意 (illustrative), 占位
#: (placeholder), 待定 / 待补充 (to be determined / to be supplied) are their Chinese forms.
PLACEHOLDER_WORDS = (
    "illustrative",
    "placeholder",
    "dummy",
    "todo",
    "tbd",
    "示意",
    "占位",
    "待定",
    "待补充",
)
#: Whole citations that name no source.
EMPTY_CITATIONS = frozenset({"", "-", "?", "n/a", "na", "none", "unknown", "无", "未知", "不详"})
#: Database review statuses that are not a published value, and the concern each is.
UNPUBLISHED: dict[str, Concern] = {
    "draft": "draft",
    "under_review": "draft",
    "deprecated": "deprecated",
}

_WORDS = re.compile(
    "|".join(rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w) for w in PLACEHOLDER_WORDS),
    re.IGNORECASE,
)

_CONCERN_TEXT: dict[Concern, tuple[str, str]] = {
    "illustrative": ("illustrative", "示意值"),
    "unsourced": ("unsourced", "无来源"),
    "draft": ("not published (draft)", "未发布（草稿）"),
    "deprecated": ("deprecated", "已废止"),
}


class FactorConcern(BaseModel):
    """A factor of a footprint that may not back a certified result without a waiver."""

    factor_id: str
    version: str
    sha256: str
    concerns: list[Concern]
    source: str = ""

    def describe_en(self) -> str:
        kinds = ", ".join(_CONCERN_TEXT[c][0] for c in self.concerns)
        cited = f"; source {self.source!r}" if self.source.strip() else "; no source"
        return f"{self.factor_id}@{self.version} ({kinds}{cited})"

    def describe_zh(self) -> str:
        kinds = "、".join(_CONCERN_TEXT[c][1] for c in self.concerns)
        return f"{self.factor_id}@{self.version}（{kinds}）"


def is_unsourced(citation: str) -> bool:
    """Whether a factor's citation names no source: empty, a bare "n/a", or a placeholder."""
    text = citation.strip()
    return text.lower() in EMPTY_CITATIONS or _WORDS.search(text) is not None


def concerns_of(factor: Mapping[str, Any]) -> list[Concern]:
    """The concerns of one entry of a footprint's ``inputs.factors`` (its JSON form)."""
    found: list[Concern] = []
    if factor.get("illustrative"):
        found.append("illustrative")
    if is_unsourced(str(factor.get("source") or "")):
        found.append("unsourced")
    status = factor.get("status")
    if status in UNPUBLISHED:
        found.append(UNPUBLISHED[status])
    return found


def factor_concerns(footprint: Mapping[str, Any]) -> list[FactorConcern]:
    """Every factor of ``footprint`` (a Footprint as JSON) that is a concern, by id."""
    out = []
    for factor in footprint.get("inputs", {}).get("factors", []):
        found = concerns_of(factor)
        if found:
            out.append(
                FactorConcern(
                    factor_id=str(factor["id"]),
                    version=str(factor["version"]),
                    sha256=str(factor["sha256"]),
                    concerns=found,
                    source=str(factor.get("source") or ""),
                )
            )
    return sorted(out, key=lambda c: c.factor_id)


def unwaived(
    concerns: Iterable[FactorConcern], waived: Iterable[tuple[str, str]]
) -> list[FactorConcern]:
    """The concerns without a waiver; ``waived`` holds (factor id, content sha256) pairs."""
    done = set(waived)
    return [c for c in concerns if (c.factor_id, c.sha256) not in done]


def refusal_text(step: str, application_id: str, open_concerns: Sequence[FactorConcern]) -> str:
    """The bilingual refusal naming each factor still without a waiver.

    It says what resolves the refusal but names no command or form: the front end that shows
    it adds how to do that there (:meth:`tanzuji.errors.FactorsNotWaived.with_hint`).
    """
    names_en = "; ".join(c.describe_en() for c in open_concerns)
    names_zh = "；".join(c.describe_zh() for c in open_concerns)
    return (
        f"{step} refused: the footprint of application {application_id} rests on "
        f"{len(open_concerns)} factor(s) that are draft, illustrative or unsourced: {names_en}. "
        "A certified result may use such a factor only when the verifier records a waiver with "
        "a reason for each, which the certificate then states; otherwise the applicant replaces "
        f"the factor with a sourced, published one in a new model version / 拒绝：申请 "
        f"{application_id} 的碳足迹依赖 {len(open_concerns)} 个草稿、示意或无来源的排放因子："
        f"{names_zh}。须由核查员逐一记录豁免及理由（证书中将载明），或由申请人在新模型版本中"
        "替换为有来源、已发布的因子。"
    )


__all__ = [
    "EMPTY_CITATIONS",
    "PLACEHOLDER_WORDS",
    "UNPUBLISHED",
    "Concern",
    "FactorConcern",
    "concerns_of",
    "factor_concerns",
    "is_unsourced",
    "refusal_text",
    "unwaived",
]
