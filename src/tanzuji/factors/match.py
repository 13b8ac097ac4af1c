"""Search the factor database and match a company's activity text to factors.

:class:`FactorIndex` is an in-memory inverted index over :class:`FactorRecord` objects (from
:func:`~tanzuji.factors.starter.load_starter`, an importer or the store). Two questions:

- :meth:`FactorIndex.search` — full-text search with hard filters (unit dimension, geography,
  year, boundary, status), ranked by text relevance.
- :meth:`FactorIndex.match` — "which factor fits this activity?": ranked
  :class:`Candidate` objects with a confidence in [0, 1] and a short explanation. A factor
  whose unit cannot be converted from the activity's unit is never proposed.

Scoring (see ``docs/matching.md``)::

    text       = sum(idf of query terms found in the factor) / sum(idf of query terms)
    focus      = sum(idf of those terms) / sum(idf of the factor's own terms)
    confidence = text * (0.85 + 0.15 * focus) * geography * year * unit * variant

``geography`` is 1.0 for the same place and lower for a containing grid region, the country,
global, another region, another country (:data:`GEOGRAPHY_WEIGHT`); ``year`` loses
:data:`YEAR_STEP` per year of distance; ``unit`` is 1.0 when the activity is in the factor's
own unit and :data:`UNIT_CONVERTED` when it needs a conversion; ``variant`` is
:data:`VARIANT_WEIGHT` for each special-case qualifier of the factor (recycled input,
fossil-only grid mix, well-to-tank ...) that the query does not ask for.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from tanzuji import units
from tanzuji.errors import UnknownUnit
from tanzuji.factors import licence as factor_licence
from tanzuji.factors import text as factor_text
from tanzuji.factors.record import FactorRecord

#: Relations a place-only query ("广东", "华东") keeps: the place, areas inside it, and the
#: regions containing it (not the whole country or the world: those would match everything).
#: A country alone ("全国", "China") keeps its national factors only.
PLACE_ONLY_RELATIONS = frozenset({"same", "sub-region", "containing region"})


def place_only_relations(place: str) -> frozenset[str]:
    """Relations kept for a query that only names ``place`` (:data:`PLACE_ONLY_RELATIONS`)."""
    return PLACE_ONLY_RELATIONS if "-" in place else frozenset({"same"})


#: Multiplier per geography relation (keys of ``text.GEOGRAPHY_RANKS``).
GEOGRAPHY_WEIGHT = {
    "same": 1.0,
    "containing region": 0.97,
    "country": 0.95,
    "overlapping region": 0.93,
    "sub-region": 0.9,
    "global": 0.88,
    "other region, same country": 0.8,
    "other country": 0.75,
}
#: Confidence lost per year between the activity and the factor's reference year.
YEAR_STEP = 0.04
#: Lowest year multiplier (a factor 5+ years off still counts).
YEAR_FLOOR = 0.85
#: Multiplier when the activity's unit converts to, but is not, the factor's unit.
UNIT_CONVERTED = 0.98
#: Multiplier per special-case qualifier of a factor that the query does not name.
VARIANT_WEIGHT = 0.9
#: Minimum rapidfuzz ratio (0-100) for an unknown English word to count as a known one.
FUZZY_CUTOFF = 85.0


@dataclass(frozen=True)
class Candidate:
    """One proposed factor for an activity (or one search hit).

    Attributes
    ----------
    record : FactorRecord
        The factor.
    confidence : float
        In [0, 1]: share of the query found, scaled by how much of the factor the query covers
        (x0.85..1) and by geography, year, unit and variant penalties (see module notes).
    matched : tuple of str
        Query words (and ``~concepts``) found in the factor's names.
    geography : str
        Relation of the factor's geography to the activity's (``same``, ``country`` ...).
    year_distance : int or None
        Years between the activity and the factor's reference year.
    unit_factor : float or None
        Multiplier from the activity's unit to the factor's unit (``None`` without a unit).
    explanation : str
        One line for people: words matched, unit, geography, year.
    """

    record: FactorRecord
    confidence: float
    matched: tuple[str, ...]
    geography: str
    year_distance: int | None
    unit_factor: float | None
    explanation: str
    amount_in_factor_unit: float | None = None
    geographical_score: int | None = None
    """Pedigree geographical score (1..5) of the factor for the activity's place
    (:func:`tanzuji.factors.text.geographical_score`); ``None`` without a place."""

    @property
    def id(self) -> str:
        return self.record.id

    def to_dict(self) -> dict[str, object]:
        """The candidate as JSON-ready data: the factor record and why it was proposed."""
        return {
            "id": self.record.id,
            "version": self.record.version,
            "confidence": self.confidence,
            "matched": list(self.matched),
            "geography_relation": self.geography,
            "geographical_score": self.geographical_score,
            "year_distance": self.year_distance,
            "unit_factor": self.unit_factor,
            "amount_in_factor_unit": self.amount_in_factor_unit,
            "explanation": self.explanation,
            "record": self.record.model_dump(mode="json"),
        }


def candidates_json(candidates: Sequence[Candidate], query: dict[str, object]) -> str:
    """``{"query": ..., "candidates": [...]}`` as indented JSON (``factors search --json``)."""
    import json

    payload = {"query": query, "candidates": [c.to_dict() for c in candidates]}
    return json.dumps(payload, ensure_ascii=False, indent=2)


#: Weight of a context concept (factory, canteen, vehicle ...) relative to its idf: where a
#: fuel is burned picks the sector table but must not outweigh the place or the fuel itself.
CONTEXT_WEIGHT = 0.35
#: Share of a group's weight given to its exact wording (the rest goes to its concept).
WORDING_SHARE = 0.25


class CorpusStatistics:
    """Document frequencies of index terms over the whole corpus that is searched.

    A :class:`FactorIndex` built over all factors computes its own. One built over a subset
    (the candidates a database full-text search returned) takes the database's, so that term
    weights (idf), the weight of unknown words and fuzzy spelling targets are those of the
    whole database and the subset ranks as the whole index would.

    Parameters
    ----------
    documents : int
        Number of documents (factor versions) in the corpus.
    frequency : mapping of str to int
        Term -> number of documents containing it (terms as :func:`~tanzuji.factors.text.terms`
        writes them, ``~concept`` terms included).
    """

    def __init__(self, documents: int, frequency: Mapping[str, int]) -> None:
        self.documents = documents
        self.frequency = {t: n for t, n in frequency.items() if n > 0}
        self._fuzzy_cache: dict[str, tuple[str, str, float] | None] = {}
        self._targets: dict[str, str] | None = None

    def idf(self, term: str) -> float | None:
        """BM25-style idf ``ln(1 + (N - df + 0.5) / (df + 0.5))``, always positive; ``None``
        for a term no document has."""
        df = self.frequency.get(term)
        if df is None:
            return None
        n = max(self.documents, 1)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def idf_or_rarest(self, term: str) -> float:
        """:meth:`idf`, or that of a term in one document (a version outside the corpus)."""
        found = self.idf(term)
        if found is not None:
            return found
        n = max(self.documents, 1)
        return math.log(1.0 + (n - 0.5) / 1.5)

    @property
    def max_idf(self) -> float:
        """idf of the rarest term (2.0 for an empty corpus: unknown words then weigh 1)."""
        if not self.frequency:
            return 2.0
        rarest = min(self.frequency.values())
        n = max(self.documents, 1)
        return math.log(1.0 + (n - rarest + 0.5) / (rarest + 0.5))

    def fuzzy_targets(self) -> dict[str, str]:
        """Spelling targets: the corpus' English words, and synonym words -> their concept."""
        if self._targets is None:
            targets = {t: t for t in self.frequency if t.isascii() and not t.startswith("~")}
            for words, concept in factor_text.synonyms().phrases.items():
                term = "~" + concept
                if len(words) == 1 and term in self.frequency and words[0] not in targets:
                    targets[words[0]] = term
            self._targets = targets
        return self._targets

    def fuzzy(self, word: str) -> tuple[str, str, float] | None:
        """Nearest spelling target of ``word``: (word, term, rapidfuzz ratio), or ``None``."""
        if word not in self._fuzzy_cache:
            targets = self.fuzzy_targets()
            best = process.extractOne(
                word, list(targets), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
            )
            self._fuzzy_cache[word] = (best[0], targets[best[0]], float(best[1])) if best else None
        return self._fuzzy_cache[word]

    def query_terms(self, text: str) -> list[str]:
        """The terms of ``text`` worth looking up in a full-text index, in query order.

        Words and concepts the corpus knows, plus the spelling target of an unknown English
        word: the terms :meth:`FactorIndex.match` would credit, so that a database search on
        them returns every factor the in-memory index could rank.
        """
        out: list[str] = []
        for words, concept in factor_text.term_groups(text):
            if concept and "~" + concept in self.frequency:
                out.append("~" + concept)
            for word in words:
                if word in self.frequency:
                    out.append(word)
                elif word.isascii() and len(word) >= 4:
                    near = self.fuzzy(word)
                    if near:
                        out.append(near[1])
        return list(dict.fromkeys(out))


@dataclass(frozen=True)
class _Slot:
    """One thing the query asks for: credited once if the factor has any alternative."""

    label: str
    weight: float
    alternatives: tuple[tuple[int, float], ...]  # (term id, fraction of the weight)


@dataclass(frozen=True)
class _Query:
    slots: tuple[_Slot, ...]
    concepts: frozenset[str]


@dataclass
class _Postings:
    """Term id -> record indices (numpy int32), built once."""

    lists: list[list[int]] = field(default_factory=list)
    arrays: list[np.ndarray] = field(default_factory=list)


class FactorIndex:
    """In-memory search index over factor records.

    Parameters
    ----------
    records : iterable of FactorRecord
        The factors (one version each; pass the current versions).
    default_geography : str or None
        Geography assumed when neither the call nor the activity text gives one. Tanzuji
        serves the Greater Bay Area scheme, so the default is ``"CN"``: Chinese factors first,
        then global (IPCC) defaults, then other countries' factors.
    """

    def __init__(
        self,
        records: Iterable[FactorRecord],
        *,
        default_geography: str | None = "CN",
        record_terms: Sequence[Sequence[str]] | None = None,
        statistics: CorpusStatistics | None = None,
    ):
        self.records: list[FactorRecord] = list(records)
        self.default_geography = default_geography
        self._vocab: dict[str, int] = {}
        postings = _Postings()
        self._record_terms: list[np.ndarray] = []
        for i, record in enumerate(self.records):
            own = record_terms[i] if record_terms is not None else self._record_text_terms(record)
            ids = sorted({self._term_id(t, postings) for t in own})
            for t in ids:
                postings.lists[t].append(i)
            self._record_terms.append(np.asarray(ids, dtype=np.int32))
        self._postings = [np.asarray(p, dtype=np.int32) for p in postings.lists]
        if statistics is None:
            frequency = {term: len(postings.lists[i]) for term, i in self._vocab.items()}
            statistics = CorpusStatistics(len(self.records), frequency)
        self.statistics = statistics
        self._idf = np.asarray([statistics.idf_or_rarest(t) for t in self._vocab], dtype=np.float64)
        self._doc_weight = np.asarray(
            [float(self._idf[ids].sum()) if len(ids) else 1.0 for ids in self._record_terms]
        )
        self._build_attributes()

    # -- building -------------------------------------------------------------------------

    @staticmethod
    def _record_text_terms(record: FactorRecord) -> list[str]:
        text = f"{record.name_en} {record.name_zh} {record.activity}"
        return factor_text.terms(text)

    def _term_id(self, term: str, postings: _Postings) -> int:
        found = self._vocab.get(term)
        if found is None:
            found = self._vocab[term] = len(self._vocab)
            postings.lists.append([])
        return found

    def _build_attributes(self) -> None:
        self._units = sorted({r.unit for r in self.records})
        unit_pos = {u: i for i, u in enumerate(self._units)}
        self._unit_idx = np.asarray([unit_pos[r.unit] for r in self.records], dtype=np.int32)
        self._geos = sorted({r.geography for r in self.records})
        geo_pos = {g: i for i, g in enumerate(self._geos)}
        self._geo_idx = np.asarray([geo_pos[r.geography] for r in self.records], dtype=np.int32)
        self._years = np.asarray(
            [r.year if r.year is not None else np.nan for r in self.records], dtype=np.float64
        )
        self._variant_postings = {
            concept: self._postings[self._vocab["~" + concept]]
            for concept in factor_text.synonyms().variants
            if "~" + concept in self._vocab
        }

    # -- queries --------------------------------------------------------------------------

    def _term(self, term: str, fraction: float = 1.0) -> tuple[float, tuple] | None:
        """(idf over the corpus, alternatives in this index) of a term the corpus knows."""
        weight = self.statistics.idf(term)
        if weight is None:
            return None
        local = self._vocab.get(term)
        return weight, (((local, fraction),) if local is not None else ())

    def _query(self, words: str) -> _Query:
        slots: list[_Slot] = []
        concepts = set()
        unknown_weight = 0.5 * self.statistics.max_idf
        contexts = factor_text.synonyms().contexts
        for group_words, concept in dict.fromkeys(factor_text.term_groups(words)):
            known = self._term("~" + concept) if concept else None
            if concept:
                concepts.add(concept)
            if known is not None and concept:  # a known concept
                scale = CONTEXT_WEIGHT if concept in contexts else 1.0
                label = " ".join(group_words) or "~" + concept
                slots.append(_Slot(label, scale * known[0], known[1]))
                for word in group_words:
                    found = self._term(word)
                    if found is not None:
                        slots.append(_Slot(word, scale * WORDING_SHARE * found[0], found[1]))
                continue
            for word in group_words:
                found = self._term(word)
                if found is not None:
                    slots.append(_Slot(word, found[0], found[1]))
                    continue
                near = self.statistics.fuzzy(word) if word.isascii() and len(word) >= 4 else None
                target = self._term(near[1], near[2] / 100) if near else None
                if near and target is not None:
                    slots.append(_Slot(f"{word}≈{near[0]}", target[0], target[1]))
                else:
                    slots.append(_Slot(word, unknown_weight, ()))
        return _Query(tuple(slots), frozenset(concepts))

    def _text_scores(self, query: _Query) -> tuple[np.ndarray, float]:
        acc = np.zeros(len(self.records), dtype=np.float64)
        for slot in query.slots:
            for tid, fraction in slot.alternatives:
                acc[self._postings[tid]] += slot.weight * fraction
        total = float(sum(slot.weight for slot in query.slots)) or 1.0
        return acc, total

    def _text_confidence(self, acc: np.ndarray, total: float, idx: np.ndarray) -> np.ndarray:
        """``text * (0.85 + 0.15 * focus)`` of records ``idx`` (module notes, "Scoring")."""
        return (acc[idx] / total) * (0.85 + 0.15 * np.minimum(acc[idx] / self._doc_weight[idx], 1))

    def _unit_mask(self, unit: str | None) -> tuple[np.ndarray, dict[int, float]]:
        """Records whose unit converts from ``unit``, and the multiplier per unit index."""
        if unit is None:
            return np.ones(len(self.records), dtype=bool), {}
        units.parse_unit(unit)  # raises UnknownUnit with a clear message
        factors: dict[int, float] = {}
        for i, factor_unit in enumerate(self._units):
            if units.convertible(unit, factor_unit):
                factors[i] = units.conversion_factor(unit, factor_unit)
        ok = np.zeros(len(self._units), dtype=bool)
        ok[list(factors)] = True
        return ok[self._unit_idx], factors

    def match(
        self,
        text: str,
        amount: float | None = None,
        unit: str | None = None,
        geography: str | None = None,
        year: int | None = None,
        limit: int = 5,
        exclude_licences: Sequence[str] = (),
    ) -> list[Candidate]:
        """Rank factors for an activity description.

        Parameters
        ----------
        text : str
            What was bought or used, in Chinese or English; an invoice line
            ("2023年6月 电费 广东 12,345 kWh") is read for amount, unit, year and place.
        amount : float, optional
            Activity amount in ``unit`` (overrides one read from ``text``).
        unit : str, optional
            Activity unit (``kWh``, ``L``, ``t``, ``tkm``; overrides one read from ``text``).
            Factors whose unit does not convert from it are never proposed.
        geography : str, optional
            ISO 3166 code (``CN-GD``) or grid region (``CN-CSG``); else read from ``text``,
            else :attr:`default_geography`.
        year : int, optional
            Activity year; else read from ``text``; else the newest factor wins ties.
        limit : int
            Number of candidates.
        exclude_licences : sequence of str
            Licence patterns a deployment does not accept (:func:`tanzuji.factors.licence.
            excluded`): factors under them are never proposed.

        Returns
        -------
        list of Candidate
            Best first; empty when nothing matches a word of the text. A text that only names
            a place ("广东", "华东电网") gets the factors of that place, of areas inside it and
            of the regions containing it, closest first.

        Raises
        ------
        UnknownUnit
            When ``unit`` is not a unit Tanzuji knows.
        """
        parsed = factor_text.parse_activity(text)
        amount = amount if amount is not None else parsed.amount
        unit = unit or parsed.unit
        geography = geography or parsed.geography or self.default_geography
        year = year or parsed.year
        place_only = not parsed.text and parsed.geography is not None
        query = self._query(parsed.text or text)
        acc, total = self._text_scores(query)
        if place_only:  # the place's factors, and factors whose names hold the place's words
            everyone = np.arange(len(self.records))
            text_score = self._text_confidence(acc, total, everyone) if acc.any() else acc
            acc, total = np.maximum(text_score, self._place_scores(geography)), 1.0
        unit_ok, unit_factors = self._unit_mask(unit)
        keep = (acc > 0) & unit_ok & self._licence_mask(exclude_licences)
        idx = np.nonzero(keep)[0]
        if len(idx) == 0:
            return []
        score = acc[idx] if place_only else self._text_confidence(acc, total, idx)
        score *= self._geo_weights(geography)[self._geo_idx[idx]]
        score *= self._year_weights(year, idx)
        if unit is not None:
            own = np.asarray(
                [
                    1.0 if math.isclose(unit_factors[u], 1.0) else UNIT_CONVERTED
                    for u in self._unit_idx[idx]
                ]
            )
            score *= own
        score *= self._variant_weights(query.concepts, idx)
        order = self._top(idx, score, limit)
        return [
            self._candidate(i, float(s), query, geography, year, unit, amount, unit_factors)
            for i, s in order
        ]

    def search(
        self,
        text: str,
        *,
        unit_dimension: str | None = None,
        geography: str | None = None,
        year: int | None = None,
        boundary: str | None = None,
        status: str | None = None,
        limit: int = 20,
        exclude_licences: Sequence[str] = (),
    ) -> list[Candidate]:
        """Full-text search with hard filters.

        Parameters
        ----------
        text : str
            Words in Chinese or English. A place named in the text ("电力 广东") is read as
            the geography when ``geography`` is not given; a text that only names a place
            ("广东", "南方电网", "华东") finds the factors of that place, of areas inside it
            and of the regions containing it.
        unit_dimension : str, optional
            A unit (``kWh``) or dimension (``[mass]``); keeps factors of that dimension.
        geography : str, optional
            Keeps the factors that apply to that place by the geography tree, as the matcher
            does: the place, areas inside it and areas containing it up to ``GLO``
            (``CN-GD`` keeps ``CN-GD``, ``CN-CSG``, ``CN``; ``CN`` keeps ``CN-CSG`` and
            ``CN-GD``); hits are ranked closest place first.
        year, boundary, status : optional
            Exact filters on the record fields.
        exclude_licences : sequence of str
            Licence patterns a deployment does not accept (:mod:`tanzuji.factors.licence`).
        """
        place, rest = (None, text) if geography is not None else factor_text.place_of(text)
        area = geography or place
        place_only = place is not None and not rest.strip()
        query = self._query(text if place_only or not place else rest)
        acc, total = self._text_scores(query)
        if place_only:  # the place's factors, and factors whose names hold the place's words
            everyone = np.arange(len(self.records))
            text_score = self._text_confidence(acc, total, everyone) if acc.any() else acc
            acc, total = np.maximum(text_score, self._place_scores(place)), 1.0
        keep = (acc > 0) & self._licence_mask(exclude_licences)
        if unit_dimension is not None:
            keep &= self._dimension_mask(unit_dimension)
        if area is not None and not place_only:
            ok = np.asarray([factor_text.applies_to(g, area) for g in self._geos])
            keep &= ok[self._geo_idx]
        if year is not None:
            keep &= self._years == year
        if boundary is not None or status is not None:
            keep &= np.asarray(
                [
                    (boundary is None or r.boundary == boundary)
                    and (status is None or r.status == status)
                    for r in self.records
                ]
            )
        idx = np.nonzero(keep)[0]
        score = acc[idx] if place_only else self._text_confidence(acc, total, idx)
        if area is not None:  # closest place first; among equals the newest (0.1 %/year)
            score = score * self._geo_weights(area)[self._geo_idx[idx]]
            score = score * self._year_weights(None, idx)
        return [
            self._candidate(i, float(s), query, area, year, None, None, {}, place=place)
            for i, s in self._top(idx, score, limit)
        ]

    # -- pieces ---------------------------------------------------------------------------

    def _place_scores(self, place: str | None) -> np.ndarray:
        """1 for the records of a place, areas inside it and regions containing it."""
        ok = np.asarray(
            [
                place is not None
                and factor_text.geography_relation(place, g) in place_only_relations(place)
                for g in self._geos
            ]
        )
        return ok[self._geo_idx].astype(np.float64)

    def _licence_mask(self, patterns: Sequence[str]) -> np.ndarray:
        if not patterns:
            return np.ones(len(self.records), dtype=bool)
        return np.asarray(
            [
                factor_licence.excluded(getattr(r, "licence", ""), patterns) is None
                for r in self.records
            ]
        )

    def _dimension_mask(self, unit_dimension: str) -> np.ndarray:
        wanted = wanted_dimension(unit_dimension)
        ok = np.asarray([_safe_dimension(u) == wanted for u in self._units])
        return ok[self._unit_idx]

    @lru_cache(maxsize=512)  # noqa: B019
    def _geo_weights(self, geography: str | None) -> np.ndarray:
        return np.asarray(
            [
                GEOGRAPHY_WEIGHT[factor_text.geography_relation(geography, g)] if geography else 1.0
                for g in self._geos
            ]
        )

    def _year_weights(self, year: int | None, idx: np.ndarray) -> np.ndarray:
        years = self._years[idx]
        if year is None:
            # no year asked: newer factors win ties by a hair (0.1 % per year)
            newest = np.nanmax(years) if np.isfinite(years).any() else 0.0
            gap = np.where(np.isfinite(years), newest - years, 10.0)
            return 1.0 - 0.001 * np.minimum(gap, 20.0)
        gap = np.where(np.isfinite(years), np.abs(years - year), 5.0)
        return np.maximum(1.0 - YEAR_STEP * gap, YEAR_FLOOR)

    def _variant_weights(self, asked: frozenset[str], idx: np.ndarray) -> np.ndarray:
        weights = np.ones(len(self.records))
        for concept, rows in self._variant_postings.items():
            if concept not in asked:
                weights[rows] *= VARIANT_WEIGHT
        return weights[idx]

    @staticmethod
    def _top(idx: np.ndarray, score: np.ndarray, limit: int) -> list[tuple[int, float]]:
        if len(idx) > limit * 4:
            # keep every score tied with the cut-off too, so that ties always break on the
            # index order (an arbitrary subset of equal scores would differ between indexes)
            cut = -np.partition(-score, limit * 4 - 1)[limit * 4 - 1]
            keep = score >= cut
            idx, score = idx[keep], score[keep]
        order = sorted(zip(idx.tolist(), score.tolist(), strict=True), key=lambda p: (-p[1], p[0]))
        return order[:limit]

    def _candidate(
        self,
        i: int,
        score: float,
        query: _Query,
        geography: str | None,
        year: int | None,
        unit: str | None,
        amount: float | None,
        unit_factors: dict[int, float],
        place: str | None = None,
    ) -> Candidate:
        record = self.records[i]
        own = set(self._record_terms[i].tolist())
        matched = tuple(
            slot.label for slot in query.slots if any(tid in own for tid, _ in slot.alternatives)
        )
        matched = tuple(dict.fromkeys(matched))
        if place is not None and not matched:
            matched = (f"@{place}",)
        relation = factor_text.geography_relation(geography, record.geography)
        distance = abs(record.year - year) if (year is not None and record.year) else None
        factor = unit_factors.get(int(self._unit_idx[i])) if unit else None
        parts = [f"words: {', '.join(matched)}"]
        if unit:
            parts.append(
                f"unit {unit} -> {record.unit}"
                + ("" if factor is None or math.isclose(factor, 1.0) else f" (x{factor:g})")
            )
        if geography:
            parts.append(f"geography {record.geography} ({relation} of {geography})")
        if year is not None:
            parts.append(
                f"year {record.year} ({distance} y from {year})"
                if distance is not None
                else "year unknown"
            )
        return Candidate(
            record=record,
            confidence=round(min(max(score, 0.0), 1.0), 4),
            matched=matched,
            geography=relation,
            year_distance=distance,
            unit_factor=factor,
            explanation="; ".join(parts),
            amount_in_factor_unit=amount * factor if (amount is not None and factor) else None,
            geographical_score=factor_text.geographical_score(geography, record.geography)
            if geography
            else None,
        )


def wanted_dimension(unit_dimension: str) -> str:
    """The dimension a search filter names: a dimension as given, or the dimension of a unit.

    Parameters
    ----------
    unit_dimension : str
        A dimension (``[mass]``, ``dimensionless``) or a unit (``kWh``).

    Raises
    ------
    UnknownUnit
        ``unit_dimension`` is neither a dimension nor a unit Tanzuji knows.
    """
    if unit_dimension.startswith("[") or unit_dimension == "dimensionless":
        return unit_dimension
    return units.dimension(unit_dimension)


def _safe_dimension(unit: str) -> str | None:
    try:
        return units.dimension(unit)
    except UnknownUnit:
        return None


def match(
    records: FactorIndex | Sequence[FactorRecord],
    text: str,
    amount: float | None = None,
    unit: str | None = None,
    geography: str | None = None,
    year: int | None = None,
    limit: int = 5,
    exclude_licences: Sequence[str] = (),
) -> list[Candidate]:
    """Convenience wrapper: :meth:`FactorIndex.match` on an index or a list of records."""
    index = records if isinstance(records, FactorIndex) else FactorIndex(records)
    return index.match(
        text,
        amount=amount,
        unit=unit,
        geography=geography,
        year=year,
        limit=limit,
        exclude_licences=exclude_licences,
    )
