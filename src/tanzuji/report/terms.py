"""Bilingual words of the reports and charts (简体中文 / English).

A report is written in one language (``zh``, ``en``) or both (``both``: Chinese first, then
English, as bilingual certificates in the Greater Bay Area are laid out). Stage and origin
names follow ISO 14067:2018 (6.3.4, 7.2) and their GB/T 24067-2024 equivalents.
"""

from __future__ import annotations

from typing import Literal

from tanzuji.errors import ReportError

Language = Literal["zh", "en", "both"]
LANGUAGES: tuple[str, ...] = ("zh", "en", "both")

#: Life-cycle stages (model.schema.LIFE_CYCLE_STAGES), Chinese and English.
STAGES: dict[str, tuple[str, str]] = {
    "raw_materials": ("原材料获取", "Raw material acquisition"),
    "production": ("生产", "Production"),
    "distribution": ("分销", "Distribution"),
    "use": ("使用", "Use"),
    "end_of_life": ("生命末期", "End of life"),
}

#: Origins of a greenhouse gas (gases.ORIGINS) and the separately reported lines.
ORIGINS: dict[str, tuple[str, str]] = {
    "fossil": ("化石", "fossil"),
    "biogenic": ("生物源", "biogenic"),
    "land_use_change": ("直接土地利用变化", "direct land-use change"),
    "land_management": ("土地管理", "land management"),
}


def pick(zh: str, en: str, lang: str) -> str:
    """The text in ``lang``: ``zh``, ``en`` or ``both`` (``"中文 English"``)."""
    if lang == "zh":
        return zh or en
    if lang == "en":
        return en or zh
    if not zh or not en or zh == en:
        return zh or en
    return f"{zh} {en}"


def stage_name(stage: str, lang: str) -> str:
    """The name of a life-cycle stage; a stage the table does not know keeps its id."""
    zh, en = STAGES.get(stage, (stage, stage.replace("_", " ")))
    return pick(zh, en, lang)


def origin_name(origin: str, lang: str) -> str:
    zh, en = ORIGINS.get(origin, (origin, origin.replace("_", " ")))
    return pick(zh, en, lang)


def stage_order(stages: list[str] | tuple[str, ...]) -> list[str]:
    """Stages in life-cycle order (known ones first, then others alphabetically)."""
    known = [s for s in STAGES if s in stages]
    return known + sorted(s for s in stages if s not in STAGES)


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ReportError(f"unknown report language {lang!r}; expected one of zh, en, both")
    return lang
