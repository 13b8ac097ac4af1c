"""Bilingual (简体中文 + English) text handling for factor search and matching.

Three jobs, each a small pure function:

- :func:`terms` turns a text into index terms: jieba words for Chinese, lower-case folded
  words for English, plus one ``~concept`` term for every synonym-table hit
  (``data/factors/synonyms.txt``). The same function feeds the in-memory index
  (:mod:`tanzuji.factors.match`) and can feed a database full-text index: join the terms with
  spaces into an FTS5 column (``tokenize='unicode61'``) or PostgreSQL
  ``to_tsvector('simple', ...)``; run the query through :func:`terms` too.
- :func:`parse_activity` reads an activity or invoice line ("2023年6月 电费 广东 12,345 kWh")
  into amount, unit, year, geography and the remaining descriptive words.
- :func:`geography_relation` says how far a factor's geography is from the activity's.

jieba is initialised lazily and quietly from its bundled dictionary (no network); the
synonym terms are added to its dictionary so that they segment as one word.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from tanzuji import units
from tanzuji.errors import FactorFileError, UnknownUnit

CONCEPT_PREFIX = "~"

_CJK = re.compile(r"[\u3400-\u9fff]+")
_LATIN = re.compile(r"[a-z0-9]+(?:[&'/+\-.][a-z0-9]+)*%?")
_YEAR_TERM = re.compile(r"^(19|20)\d\d(年)?$")

#: English words that carry no meaning for matching.
STOPWORDS_EN = frozenset(
    "a an and the of for in on at to by from with per our we used use using this that "
    "is are was be as or into via month monthly total fee fees bill invoice cost amount "
    "purchase purchased consumption consumed".split()
)
#: Chinese words that carry no meaning for matching (particles, invoice boilerplate).
STOPWORDS_ZH = frozenset(
    "的 了 和 与 及 或 用 用于 使用 消耗 消费 费用 发票 合计 金额 月份 本月 上月 共计 采购 购买 "
    "年 月 日 号 约 共 每 其中 以及 等".split()
)

# Chinese and spelled-out unit words -> unit strings that tanzuji.units parses.
_UNIT_WORDS = {
    "千瓦时": "kWh",
    "兆瓦时": "MWh",
    "度": "kWh",
    "吨公里": "tkm",
    "人公里": "pkm",
    "公里": "km",
    "千米": "km",
    "立方米": "m3",
    "立方": "m3",
    "方": "m3",
    "万立方米": "10000 * m3",
    "升": "L",
    "千升": "kL",
    "吨": "t",
    "千克": "kg",
    "公斤": "kg",
    "克": "g",
    "吉焦": "GJ",
    "兆焦": "MJ",
    "元": "CNY",
    "件": "piece",
    "个": "piece",
    "台": "piece",
    "litres": "L",
    "liters": "L",
    "tonnes": "t",
    "tons": "t",
    "tonne": "t",
}
_AMOUNT_UNIT = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*"
    r"([A-Za-z][A-Za-z0-9*/.²³]*|[\u4e00-\u9fff]{1,4})"
)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:\s*年度|\s*年|[-/.](?:0?[1-9]|1[0-2])(?!\d)|(?!\d))")
_MONTH = re.compile(r"(?<!\d)(?:0?[1-9]|1[0-2])\s*月(?:份)?")


# --------------------------------------------------------------------------------------
# synonym table and jieba


@dataclass(frozen=True)
class SynonymTable:
    """Concepts and their terms, read from ``synonyms.txt``.

    ``phrases`` maps a tuple of folded English words or one Chinese word to a concept;
    ``variants`` holds the concepts marked ``!`` (special-case qualifiers), ``contexts`` those
    marked ``@`` (where a fuel is used).
    """

    phrases: dict[tuple[str, ...], str]
    chinese: dict[str, str]
    variants: frozenset[str]
    max_phrase: int
    contexts: frozenset[str] = frozenset()


def parse_synonyms(text: str, *, name: str = "synonyms.txt") -> SynonymTable:
    """Parse the synonym file format (see the file's header).

    Raises
    ------
    FactorFileError
        A line without ``concept:`` or with an empty term, naming file and line.
    """
    phrases: dict[tuple[str, ...], str] = {}
    chinese: dict[str, str] = {}
    variants: set[str] = set()
    contexts: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        concept, sep, rest = line.partition(":")
        if not sep or not concept.strip():
            raise FactorFileError(
                f"expected 'concept: term | term', found {line!r}", location=f"{name}:{number}"
            )
        concept = concept.strip()
        marks = concept[: len(concept) - len(concept.lstrip("!@"))]
        concept = concept.lstrip("!@")
        if "!" in marks:
            variants.add(concept)
        if "@" in marks:
            contexts.add(concept)
        for term in rest.split("|"):
            folded = _fold(term)
            if not folded:
                raise FactorFileError(
                    f"empty term in concept {concept!r}", location=f"{name}:{number}"
                )
            if _CJK.fullmatch(folded.replace("%", "").replace("0", "")) or (
                _CJK.search(folded) and not _LATIN.search(folded)
            ):
                chinese[folded] = concept
            else:
                words = tuple(_stem(w) for w in _latin_words(folded))
                if words:
                    phrases[words] = concept
                if _CJK.search(folded):
                    chinese[folded] = concept
    max_phrase = max((len(k) for k in phrases), default=1)
    return SynonymTable(phrases, chinese, frozenset(variants), max_phrase, frozenset(contexts))


@lru_cache(maxsize=1)
def synonyms() -> SynonymTable:
    """The shipped synonym table (``data/factors/synonyms.txt``)."""
    text = (resources.files("tanzuji") / "data" / "factors" / "synonyms.txt").read_text(
        encoding="utf-8"
    )
    return parse_synonyms(text)


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in synonyms().chinese:
        if _CJK.fullmatch(word):
            tokenizer.add_word(word, freq=200000)
    for place in _place_names():
        if _CJK.fullmatch(place):
            tokenizer.add_word(place, freq=200000)
    return tokenizer


# --------------------------------------------------------------------------------------
# terms


def _fold(text: str) -> str:
    """NFKC (full-width -> half-width), lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _latin_words(text: str) -> list[str]:
    return _LATIN.findall(text)


def _stem(word: str) -> str:
    """Fold simple English plurals (batteries -> battery, tyres -> tyre)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "as")):
        return word[:-1]
    return word


def _chinese_words(run: str) -> list[str]:
    return [w for w in _jieba().lcut(run, HMM=True) if w.strip()]


def terms(text: str) -> list[str]:
    """Index terms of a text: words (Chinese and English) and ``~concept`` terms.

    Numbers and four-digit years are dropped (years are matched on the factor's ``year``
    field, not its name); stop words are dropped.

    Examples
    --------
    >>> terms("Diesel for forklifts")
    ['diesel', '~diesel', 'forklift', '~road']
    """
    out: list[str] = []
    for words, concept in term_groups(text):
        out += words
        if concept:
            out.append(CONCEPT_PREFIX + concept)
    return out


def term_groups(text: str) -> list[tuple[tuple[str, ...], str | None]]:
    """Words of a text grouped with the synonym concept they form (``None`` if none).

    ``"natural gas boiler"`` gives ``[(("natural", "gas"), "natural_gas"), (("boiler",),
    "industry")]``; the matcher credits a group once, whichever of its forms a factor uses.
    """
    table = synonyms()
    folded = _fold(text)
    groups: list[tuple[tuple[str, ...], str | None]] = []
    for match in re.finditer(r"[\u3400-\u9fff]+|[^\u3400-\u9fff]+", folded):
        chunk = match.group(0)
        if _CJK.fullmatch(chunk):
            groups += _chinese_groups(chunk, table)
        else:
            groups += _latin_groups(chunk, table)
    return groups


def _chinese_groups(run: str, table: SynonymTable) -> list[tuple[tuple[str, ...], str | None]]:
    out: list[tuple[tuple[str, ...], str | None]] = []
    for word in _chinese_words(run):
        if word in STOPWORDS_ZH or _YEAR_TERM.match(word):
            continue
        concept = table.chinese.get(word)
        if concept:
            out.append(((word,), concept))
            continue
        inner = _inner_concepts(word, table) if len(word) > 2 else []
        out.append(((word,), inner[0] if inner else None))
        out += [((), c) for c in inner[1:]]
    return out


def _inner_concepts(word: str, table: SynonymTable) -> list[str]:
    """Concepts of the longest known sub-words of an unknown Chinese word (钢板厂 -> steel)."""
    found: list[str] = []
    i = 0
    while i < len(word):
        for j in range(len(word), i + 1, -1):
            concept = table.chinese.get(word[i:j])
            if concept and (j - i) < len(word):
                found.append(concept)
                i = j - 1
                break
        i += 1
    return found


def _latin_groups(chunk: str, table: SynonymTable) -> list[tuple[tuple[str, ...], str | None]]:
    words = [_stem(w) for w in _latin_words(chunk)]
    out: list[tuple[tuple[str, ...], str | None]] = []
    i = 0
    while i < len(words):
        for n in range(min(table.max_phrase, len(words) - i), 0, -1):
            concept = table.phrases.get(tuple(words[i : i + n]))
            if concept:
                out.append((tuple(w for w in words[i : i + n] if _keep(w)), concept))
                i += n
                break
        else:
            if _keep(words[i]):
                out.append(((words[i],), None))
            i += 1
    return out


def _keep(word: str) -> bool:
    if word in STOPWORDS_EN:
        return False
    return not re.fullmatch(r"[\d.,%]+", word)


def concept_of(term: str) -> str | None:
    """The concept name of a ``~concept`` term, else ``None``."""
    return term[1:] if term.startswith(CONCEPT_PREFIX) else None


# --------------------------------------------------------------------------------------
# geography


@lru_cache(maxsize=1)
def geography_table() -> dict:
    """``data/factors/geography.json``: countries, grid regions (with provinces), provinces."""
    text = (resources.files("tanzuji") / "data" / "factors" / "geography.json").read_text(
        encoding="utf-8"
    )
    return json.loads(text)


@lru_cache(maxsize=1)
def _place_index() -> dict[str, str]:
    """Folded place name or alias -> geography code."""
    table = geography_table()
    index: dict[str, str] = {}
    for code, entry in table["provinces"].items():
        index[_fold(entry["name_en"])] = code
        index[entry["name_zh"]] = code
        for suffix in ("省", "市", "自治区", "特别行政区"):
            index[entry["name_zh"] + suffix] = code
        for alias in entry.get("aliases", []):
            index[_fold(alias)] = code
    for group in ("grid_regions", "regions"):
        for code, entry in table.get(group, {}).items():
            index[_fold(entry["name_en"])] = code
            index[entry["name_zh"]] = code
            for alias in entry["aliases"]:
                index[_fold(alias)] = code
    for code, entry in table["countries"].items():
        index[_fold(entry["name_en"])] = code
        for alias in entry["aliases"]:
            index[_fold(alias)] = code
    for city, code in table.get("cities", {}).items():
        if not city.startswith("_"):
            index[_fold(city)] = code
            if _CJK.fullmatch(city):
                index[city + "市"] = code
    # Zhuang/Hui/Uyghur/Tibet autonomous-region full names people write on invoices
    index.update(
        {"广西壮族自治区": "CN-GX", "宁夏回族自治区": "CN-NX", "新疆维吾尔自治区": "CN-XJ"}
    )
    return index


def _place_names() -> list[str]:
    return sorted(_place_index(), key=len, reverse=True)


@lru_cache(maxsize=1)
def _direct_parents() -> dict[str, tuple[str, ...]]:
    """Geography code -> the areas that directly contain it (the geography tree's edges).

    A place can lie in several areas: Shenzhen (CN-GD-440300) lies in Guangdong and in the
    Greater Bay Area; Guangdong in the China Southern Grid region; each of those in China.
    """
    table = geography_table()
    parents: dict[str, list[str]] = {}
    for region, entry in table["grid_regions"].items():
        for province in entry["provinces"]:
            parents.setdefault(province, []).append(region)
    for region, entry in table.get("regions", {}).items():
        for member in entry["members"]:
            parents.setdefault(member, []).append(region)
        parents.setdefault(region, []).append(entry["country"])
    for city, entry in table.get("city_codes", {}).items():
        parents.setdefault(city, []).insert(0, entry["province"])
    return {code: tuple(dict.fromkeys(p)) for code, p in parents.items()}


@lru_cache(maxsize=1024)
def _parents(code: str) -> tuple[str, ...]:
    """Geographies containing ``code``, nearest first (city -> province and GBA -> grid region
    -> country)."""
    tree = _direct_parents()
    chain: list[str] = []
    frontier = [code]
    while frontier:
        step: list[str] = []
        for node in frontier:
            for parent in tree.get(node, ()):
                if parent not in chain and parent != code:
                    chain.append(parent)
                    step.append(parent)
        frontier = step
    country = code.split("-")[0]
    if "-" in code and country not in chain:
        chain.append(country)
    return tuple(chain)


@lru_cache(maxsize=256)
def _descendants(code: str) -> frozenset[str]:
    """Known geographies inside ``code`` (for overlap tests: Guangdong and the GBA)."""
    return frozenset(g for g in _direct_parents() if code in _parents(g))


def ancestors(code: str) -> tuple[str, ...]:
    """Public view of the geography tree: the areas containing ``code``, nearest first."""
    return _parents(code)


def within(code: str, area: str) -> bool:
    """True when geography ``code`` equals or lies inside ``area`` (CN-GD within CN-CSG, CN)."""
    return code == area or area in _parents(code) or area == "GLO"


def applies_to(factor: str, place: str) -> bool:
    """True when a factor of geography ``factor`` applies to ``place`` by the tree: the same
    place, an area containing it (up to ``GLO``), or an area inside it."""
    return within(factor, place) or within(place, factor)


def place_of(text: str) -> tuple[str | None, str]:
    """The first place named in ``text`` (its geography code) and the text without it.

    Examples
    --------
    >>> place_of("电力 广东")
    ('CN-GD', '电力')
    """
    folded = _fold(text)
    for place in _place_names():
        pattern = (
            re.escape(place) if _CJK.search(place) else rf"(?<![a-z]){re.escape(place)}(?![a-z])"
        )
        hit = re.search(pattern, folded)
        if hit:
            rest = " ".join((folded[: hit.start()] + " " + folded[hit.end() :]).split())
            return _place_index()[place], rest
    return None, folded


#: Geography relations, closest first, with the rank used by the matcher.
GEOGRAPHY_RANKS = {
    "same": 0,
    "containing region": 1,
    "country": 2,
    "overlapping region": 2,
    "sub-region": 2,
    "global": 3,
    "other region, same country": 4,
    "other country": 5,
}

#: Pedigree-matrix geographical correlation score (1 best .. 5 worst; Weidema & Wesnaes 1996,
#: ecoinvent v3 data quality guideline) of a factor used for an activity, by geography
#: relation: 1 data from the area under study; 2 average data from a larger area in which
#: the area under study is included; 3 data from an area with similar production conditions
#: (a part of the area, an overlapping area, another region of the same country); 4 data from
#: an area with slightly similar production conditions (another country); 5 unknown.
GEOGRAPHICAL_SCORE = {
    "same": 1,
    "containing region": 2,
    "country": 2,
    "global": 2,
    "overlapping region": 3,
    "sub-region": 3,
    "other region, same country": 3,
    "other country": 4,
}


def geography_relation(activity: str | None, factor: str) -> str:
    """How a factor's geography relates to the activity's (a key of :data:`GEOGRAPHY_RANKS`).

    Parameters
    ----------
    activity : str or None
        Geography of the activity (ISO 3166 code, grid region id, GBA city code, ``CN-GBA``);
        ``None`` means unknown, which is treated as ``global``.
    factor : str
        Geography of the factor.
    """
    if activity is None:
        return "global" if factor == "GLO" else "other country"
    if factor == activity:
        return "same"
    if factor == "GLO":
        return "global"
    parents = _parents(activity)
    if factor in parents:
        return "country" if "-" not in factor else "containing region"
    if activity in _parents(factor):
        return "sub-region"
    if _descendants(activity) & (_descendants(factor) | {factor}):
        return "overlapping region"
    if factor.split("-")[0] == activity.split("-")[0]:
        return "other region, same country"
    return "other country"


def geographical_score(activity: str | None, factor: str) -> int:
    """Pedigree geographical score of a factor for an activity (:data:`GEOGRAPHICAL_SCORE`);
    5 when the activity's place is unknown."""
    if activity is None:
        return 5
    return GEOGRAPHICAL_SCORE[geography_relation(activity, factor)]


# --------------------------------------------------------------------------------------
# activity lines


@dataclass(frozen=True)
class ParsedActivity:
    """An activity description split into its parts.

    ``text`` keeps the descriptive words (with amounts, units, dates and places removed).
    """

    text: str
    amount: float | None = None
    unit: str | None = None
    year: int | None = None
    geography: str | None = None


def _unit_of(word: str) -> tuple[str, int] | None:
    """A unit at the start of ``word``: (unit string, characters used), else None."""
    for length in range(min(5, len(word)), 0, -1):
        head = word[:length]
        mapped = _UNIT_WORDS.get(head) or _UNIT_WORDS.get(head.lower())
        if mapped:
            return mapped, length
    if re.match(r"[A-Za-z]", word):
        latin = re.match(r"[A-Za-z][A-Za-z0-9*/.²³]*", word)
        if latin:
            token = latin.group(0).rstrip(".")
            try:
                units.parse_unit(token)
            except UnknownUnit:
                return None
            return token, len(token)
    return None


def parse_activity(text: str) -> ParsedActivity:
    """Read amount, unit, year and place out of an activity or invoice line.

    Examples
    --------
    >>> parse_activity("2023年6月 电费 广东 12,345 kWh")
    ParsedActivity(text='电费', amount=12345.0, unit='kWh', year=2023, geography='CN-GD')
    """
    work = unicodedata.normalize("NFKC", text)
    year = None
    year_match = _YEAR.search(work)
    if year_match:
        year = int(year_match.group(1))
        work = work[: year_match.start()] + " " + work[year_match.end() :]
    work = _MONTH.sub(" ", work)
    amount = unit = None
    for match in _AMOUNT_UNIT.finditer(work):
        found = _unit_of(match.group(2))
        if found:
            amount = float(match.group(1).replace(",", ""))
            unit, used = found
            end = match.start(2) + used
            work = work[: match.start()] + " " + work[end:]
            break
    geography, folded = place_of(work)
    remaining = re.sub(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])", " ", folded)
    remaining = " ".join(remaining.replace(",", " ").split())
    return ParsedActivity(remaining, amount, unit, year, geography)
