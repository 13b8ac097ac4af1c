"""Import a whole product system from openLCA JSON-LD or SimaPro CSV into a model file.

The result is a Tanzuji model (docs/model.md) a person can read and edit: one process per
foreground process, its links to the others (``process:``), its direct greenhouse-gas
emissions, its parameters and formulas, its co-products with their allocation factors and its
avoided products. What the model language has no place for is listed in the import notes and
at the top of the written file:

* an input no process of the system provides becomes ``match:`` text (the flow's name): the
  factor is chosen by matching when the model is calculated; check it, then write ``factor:``;
* elementary flows that are not greenhouse gases (``factors.importers.inventory.ghg_of``) are
  left out and counted;
* a unit Tanzuji does not know becomes ``piece`` (the same on both ends of a link);
* process parameters become model parameters; a name used by two processes is prefixed with
  the process id, and the formulas are rewritten to match;
* a formula Tanzuji's evaluator refuses keeps its value (``model/formula.py``);
* every process starts in stage ``production``: set ``life_cycle_stage`` per process.

openLCA allocation factors (``allocationFactors``) map exactly: physical factors become
``mass_kg``, economic factors ``price`` (factor / amount), causal factors the exchange's
``allocation``; the process's default method becomes ``allocation`` (``mass``, ``economic``,
or ``mass`` plus the causal factors), so ``CalculationRules(allocation=...)`` reproduces
openLCA's physical, economic, causal and none results.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tanzuji import units
from tanzuji.errors import FactorImportError, ModelError, TanzujiError
from tanzuji.factors.importers import limits
from tanzuji.factors.importers.inventory import dataset_files, ghg_of
from tanzuji.model import formula
from tanzuji.model.files import parse_document, validate

DEFAULT_STAGE = "production"
_ID = re.compile(r"[^A-Za-z0-9_.\-]+")


@dataclass
class ImportedModel:
    """A model imported from another tool: the document and what the import could not keep."""

    document: dict[str, Any]
    source: str
    notes: list[str] = field(default_factory=list)

    def yaml_text(self) -> str:
        """The model as YAML, with the source and the notes as comments at the top."""
        header = [
            f"# Imported by `tanzuji model import` from {self.source}.",
            "# Read and edit it; docs/model.md describes every field. Import notes:",
            *(f"#   - {note}" for note in self.notes),
            "",
        ]
        body = yaml.dump(
            self.document,
            Dumper=_Dumper,
            sort_keys=False,
            allow_unicode=True,
            width=100,
            default_flow_style=False,
        )
        return "\n".join(header) + body


class _Dumper(yaml.SafeDumper):
    """Safe YAML without anchors and aliases (``&id001``): each value written out in full."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def import_product_system(path: str | Path) -> ImportedModel:
    """Read a product system from openLCA JSON-LD (zip, folder, ``.json``) or SimaPro CSV.

    Raises
    ------
    ModelError
        When the file holds no product system (JSON-LD) or no process (SimaPro), or a link
        names a process that is not in the file.
    FactorImportError
        On unreadable files (size limits, malformed JSON or zip).
    """
    file = Path(path)
    head = limits.read_bytes(file)[:200] if file.is_file() and file.suffix != ".zip" else b""
    if head.lstrip(b"\xef\xbb\xbf").startswith(b"{SimaPro"):
        imported = _SimaPro(file).read()
    elif file.suffix.lower() in (".csv", ".txt"):
        raise ModelError(
            "not a SimaPro CSV export: its first line is not a '{SimaPro ...}' "
            "header; export the product stages and processes from SimaPro as CSV, or give an "
            "openLCA JSON-LD export (zip, folder or .json)",
            location=str(file),
        )
    else:
        imported = _JsonLd(file).read()
    _check(imported)
    return imported


def _check(imported: ImportedModel) -> None:
    """The imported document must be a valid model file (a bug here is ours, not the user's)."""
    text = imported.yaml_text()
    data, source_map = parse_document(text, imported.source)
    validate(data, source_map)


# -- shared -----------------------------------------------------------------------------------
class _Draft:
    """The model being written: unique ids, units, parameters, notes."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.notes: list[str] = []
        self.ids: set[str] = set()
        self.parameters: dict[str, float | str] = {}
        self.unknown_units: set[str] = set()
        self.skipped_flows: dict[str, int] = defaultdict(int)

    def new_id(self, name: str, fallback: str = "process") -> str:
        base = _ID.sub("_", name.strip()).strip("_.-").lower()[:60] or fallback
        candidate, n = base, 2
        while candidate in self.ids:
            candidate, n = f"{base}_{n}", n + 1
        self.ids.add(candidate)
        return candidate

    def unit(self, name: str) -> str:
        """``name`` when Tanzuji knows it, else ``piece`` (noted once)."""
        try:
            units.parse_unit(name)
            return name
        except TanzujiError:
            self.unknown_units.add(name)
            return "piece"

    def amount(self, value: float, text: str | None, known: set[str]) -> float | str:
        """A formula when Tanzuji can evaluate it (names known), else the value."""
        if not text or not str(text).strip():
            return value
        expression = str(text).strip().replace("^", "**")
        try:
            used = formula.names(expression)
        except TanzujiError:
            self.notes.append(f"formula {text!r} is not supported; its value {value:g} is kept")
            return value
        if used - known:
            self.notes.append(
                f"formula {text!r} uses {sorted(used - known)}, not defined; value {value:g} kept"
            )
            return value
        return expression

    def emission(self, name: str, compartment: str, amount: float, unit: str, is_input: bool):
        """A Tanzuji emission for a GHG elementary flow, or None (counted as skipped)."""
        gas = ghg_of(name, compartment)
        if gas is None or (is_input and not (gas[0] == "CO2" and gas[1] == "biogenic")):
            self.skipped_flows["non-GHG elementary flows"] += 1
            return None
        if not units.convertible(unit, "kg"):
            self.skipped_flows[f"GHG flows in a non-mass unit ({unit})"] += 1
            return None
        value = -amount if is_input else amount  # CO2 taken from air is a removal
        return {"gas": gas[0], "amount": value, "unit": unit, "origin": gas[1], "comment": name}

    def finish(self, document: dict[str, Any]) -> ImportedModel:
        if self.parameters:
            document = {
                **{k: v for k, v in document.items() if k != "processes"},
                "parameters": self.parameters,
                "processes": document["processes"],
                **({"materials": document["materials"]} if "materials" in document else {}),
            }
        if self.unknown_units:
            self.notes.append(
                f"units {sorted(self.unknown_units)} are not known to Tanzuji and were written "
                "as 'piece'; replace them with a real unit where they matter"
            )
        for what, count in sorted(self.skipped_flows.items()):
            if count:
                self.notes.append(f"{count} {what} left out (Tanzuji models greenhouse gases)")
        self.notes.append(
            f"every process is in stage '{DEFAULT_STAGE}': set life_cycle_stage per process"
        )
        return ImportedModel(document, self.source, self.notes)


def _header_value(pattern: str, header: str, default: str) -> str:
    """Group 1 of ``pattern`` in a SimaPro header, else ``default``."""
    found = re.search(pattern, header)
    return found[1] if found else default


def _name(text: str) -> dict[str, str]:
    """A bilingual name field: CJK text as ``zh``, anything else as ``en``."""
    text = text.strip() or "unnamed"
    return {"zh": text} if re.search(r"[\u4e00-\u9fff]", text) else {"en": text}


def _rename(expression: str, renames: dict[str, str]) -> str:
    """``expression`` with parameter names replaced (functions untouched)."""
    tree = formula.parse(expression)
    # parse() admits only calls of a function by its name
    called = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in called and node.id in renames:
            node.id = renames[node.id]
    return ast.unparse(tree)


# -- openLCA JSON-LD --------------------------------------------------------------------------
class _JsonLd:
    """A JSON-LD package: the first ``ProductSystem`` and the processes it names."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.draft = _Draft(str(path))
        self.docs: dict[str, dict[str, Any]] = {}
        self.where: dict[str, str] = {}

    def read(self) -> ImportedModel:
        systems = []
        for where, data in dataset_files(self.path, (".json",)):
            try:
                document = json.loads(data.decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise FactorImportError(f"not a JSON document: {exc}", location=where) from None
            if isinstance(document, dict) and "@id" in document:
                self.docs[document["@id"]] = document
                self.where[document["@id"]] = where
                if document.get("@type") == "ProductSystem":
                    systems.append(document)
        if not systems:
            raise ModelError(
                f"{self.path} holds no openLCA ProductSystem; export the product system (with "
                "its processes) from openLCA as JSON-LD",
                location=str(self.path),
            )
        if len(systems) > 1:
            self.draft.notes.append(
                f"{len(systems)} product systems found; imported {systems[0].get('name')!r}"
            )
        return self._system(systems[0])

    def _system(self, system: dict[str, Any]) -> ImportedModel:
        self._global_parameters()
        refs = [p["@id"] for p in system.get("processes") or []]
        reference = (system.get("referenceProcess") or {}).get("@id")
        if reference and reference not in refs:
            refs.insert(0, reference)
        missing = [r for r in refs if r not in self.docs]
        if missing:
            raise ModelError(
                f"the product system names processes {missing[:5]} that the package does not "
                "contain; export it with its processes",
                location=self.where[system["@id"]],
            )
        ids = {r: self.draft.new_id(self.docs[r].get("name") or r) for r in refs}
        self.keys = {}  # (process doc id, flow id) -> product key: process id or co-product id
        for r in refs:
            own, co_products = self._products(self.docs[r])
            self.keys[(r, self._flow(own).get("@id"))] = ids[r]
            for e in co_products:
                name = self._flow(e).get("name") or "co_product"
                self.keys[(r, self._flow(e).get("@id"))] = self.draft.new_id(name, "co_product")
        links = self._links(system)
        processes = [self._process(self.docs[r], ids, links) for r in refs]
        root = ids[reference] if reference else processes[0]["id"]
        unit = ((system.get("targetUnit") or {}).get("name")) or processes[0]["reference_product"][
            "unit"
        ]
        product = {
            "id": self.draft.new_id(system.get("name") or "product", "product"),
            "name": _name(system.get("name") or root),
            "functional_unit": {"kind": "declared", "amount": 1, "unit": self.draft.unit(unit)},
            "reference_flow": {
                "process": root,
                "amount": float(system.get("targetAmount") or 1.0),
                "unit": self.draft.unit(unit),
            },
        }
        self.draft.notes.insert(0, f"openLCA product system {system.get('name')!r}")
        return self.draft.finish({"product": product, "processes": processes})

    def _global_parameters(self) -> None:
        for doc in self.docs.values():
            if doc.get("@type") == "Parameter" and doc.get("parameterScope") in (
                None,
                "GLOBAL_SCOPE",
            ):
                self.draft.parameters[doc["name"]] = self._parameter_value(doc, {})

    def _parameter_value(self, doc: dict[str, Any], renames: dict[str, str]) -> float | str:
        value = float(doc.get("value") or 0.0)
        text = doc.get("formula")
        if doc.get("isInputParameter", doc.get("inputParameter", True)) or not text:
            return value
        known = set(self.draft.parameters) | set(renames.values()) | set(renames)
        written = self.draft.amount(value, text, known)
        return _rename(written, renames) if isinstance(written, str) else written

    def _links(self, system: dict[str, Any]) -> dict[tuple[str | None, Any], str | None]:
        """(consumer process id, exchange internal id or flow id) -> provider process id."""
        out: dict[tuple[str | None, Any], str | None] = {}
        for link in system.get("processLinks") or []:
            consumer = (link.get("process") or {}).get("@id")
            provider = (link.get("provider") or {}).get("@id")
            exchange = (link.get("exchange") or {}).get("internalId")
            flow = (link.get("flow") or {}).get("@id")
            out[(consumer, exchange if exchange is not None else flow)] = provider
            out.setdefault((consumer, flow), provider)
        return out

    def _process(self, doc: dict[str, Any], ids: dict[str, str], links) -> dict[str, Any]:
        pid = ids[doc["@id"]]
        renames = self._process_parameters(doc, pid)
        known = set(self.draft.parameters)
        exchanges = doc.get("exchanges") or []
        reference, co_products = self._products(doc)
        factors = self._allocation(doc)
        process: dict[str, Any] = {
            "id": pid,
            "name": _name(doc.get("name") or pid),
            "life_cycle_stage": DEFAULT_STAGE,
            "reference_product": self._product(reference, factors, renames, known),
        }
        if co_products:
            process["co_products"] = [
                {
                    "id": self.keys[(doc["@id"], self._flow(e).get("@id"))],
                    **self._product(e, factors, renames, known),
                }
                for e in co_products
            ]
            process["allocation"] = {"ECONOMIC_ALLOCATION": "economic"}.get(
                doc.get("defaultAllocationMethod") or "", "mass"
            )
        inputs: list[dict[str, Any]] = []
        avoided: list[dict[str, Any]] = []
        emissions: list[dict[str, Any]] = []
        for exchange in exchanges:
            if exchange is reference or exchange in co_products:
                continue
            item = self._exchange(doc, exchange, ids, links, factors, renames, known)
            if item is None:
                continue
            kind, entry = item
            {"input": inputs, "avoided": avoided, "emission": emissions}[kind].append(entry)
        for key, values in (("inputs", inputs), ("emissions", emissions), ("avoided", avoided)):
            if values:
                process[key] = values
        location = (doc.get("location") or {}).get("code")
        if location:
            process["geography"] = location
        comment = f"openLCA process {doc['@id']}"
        if factors:
            comment += "; allocation factors: physical as mass_kg, economic as price (per unit)"
        process["comment"] = comment
        return process

    def _products(self, doc: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The reference exchange and the other product outputs (or waste inputs)."""
        exchanges = doc.get("exchanges") or []
        reference = next(
            (
                e
                for e in exchanges
                if e.get("quantitativeReference") or e.get("isQuantitativeReference")
            ),
            None,
        )
        if reference is None:
            raise ModelError(
                f"process {doc.get('name')!r} has no quantitative reference",
                location=self.where[doc["@id"]],
            )
        others = [e for e in exchanges if e is not reference and self._is_output_product(e)]
        return reference, others

    def _process_parameters(self, doc: dict[str, Any], pid: str) -> dict[str, str]:
        """Add the process's parameters to the model; the renames applied to its formulas."""
        renames: dict[str, str] = {}
        own = doc.get("parameters") or []
        for p in own:
            name = p["name"]
            renames[name] = f"{pid}__{name}" if name in self.draft.parameters else name
        for p in own:
            self.draft.parameters[renames[p["name"]]] = self._parameter_value(p, renames)
        return {k: v for k, v in renames.items() if k != v}

    def _flow(self, exchange: dict[str, Any]) -> dict[str, Any]:
        ref = exchange.get("flow") or {}
        flow_id = ref.get("@id")
        return {**(self.docs.get(flow_id, {}) if flow_id is not None else {}), **ref}

    def _is_output_product(self, exchange: dict[str, Any]) -> bool:
        flow_type = self._flow(exchange).get("flowType")
        is_input = bool(exchange.get("input", exchange.get("isInput", False)))
        if exchange.get("avoidedProduct") or exchange.get("isAvoidedProduct"):
            return False
        return (flow_type == "PRODUCT_FLOW" and not is_input) or (
            flow_type == "WASTE_FLOW" and is_input
        )

    def _allocation(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Allocation factors by kind: {kind: {flow id: value}}, causal by (flow, exchange)."""
        out: dict[str, Any] = defaultdict(dict)
        for factor in doc.get("allocationFactors") or []:
            kind = factor.get("allocationType")
            flow = (factor.get("product") or {}).get("@id")
            value = float(factor.get("value") or 0.0)
            if kind == "CAUSAL_ALLOCATION":
                exchange = (factor.get("exchange") or {}).get("internalId")
                out["causal"][(flow, exchange)] = value
            elif kind == "PHYSICAL_ALLOCATION":
                out["physical"][flow] = value
            elif kind == "ECONOMIC_ALLOCATION":
                out["economic"][flow] = value
        return dict(out)

    def _product(self, exchange, factors, renames, known) -> dict[str, Any]:
        flow_id = (exchange.get("flow") or {}).get("@id")
        amount = float(exchange.get("amount") or 0.0)
        entry: dict[str, Any] = {
            "name": _name(self._flow(exchange).get("name") or "product"),
            "amount": self._amount(exchange, renames, known),
            "unit": self.draft.unit((exchange.get("unit") or {}).get("name") or "piece"),
        }
        if flow_id in factors.get("physical", {}):
            entry["mass_kg"] = factors["physical"][flow_id]
        if flow_id in factors.get("economic", {}) and amount:
            entry["price"] = factors["economic"][flow_id] / amount
        return entry

    def _amount(self, exchange, renames, known) -> float | str:
        value = float(exchange.get("amount") or 0.0)
        text = exchange.get("amountFormula") or exchange.get("formula")
        written = self.draft.amount(value, text, known | set(renames))
        return _rename(written, renames) if isinstance(written, str) and renames else written

    def _exchange(self, doc, exchange, ids, links, factors, renames, known):
        flow = self._flow(exchange)
        is_input = bool(exchange.get("input", exchange.get("isInput", False)))
        unit = (exchange.get("unit") or {}).get("name") or "kg"
        amount = self._amount(exchange, renames, known)
        if flow.get("flowType") == "ELEMENTARY_FLOW":
            category = flow.get("category") or flow.get("categoryPath") or ""
            if isinstance(category, list):
                category = "/".join(category)
            compartment = category.split("/", 1)[-1] if "Elementary flows" in category else category
            value = float(exchange.get("amount") or 0.0)
            emission = self.draft.emission(
                flow.get("name") or "", compartment, value, unit, is_input
            )
            if emission is not None and isinstance(amount, str):
                emission["amount"] = f"-({amount})" if is_input else amount
            return (
                None
                if emission is None
                else ("emission", self._causal(emission, doc, exchange, factors))
            )
        entry: dict[str, Any] = {}
        provider = links.get((doc["@id"], exchange.get("internalId"))) or links.get(
            (doc["@id"], flow.get("@id"))
        )
        if provider is not None and provider in ids:
            entry["process"] = self._provided(provider, flow.get("@id"))
        else:
            entry["match"] = flow.get("name") or "unnamed flow"
        entry.update({"amount": amount, "unit": self.draft.unit(unit)})
        if "match" in entry:
            entry["comment"] = "no provider in the product system: factor chosen by matching"
        if exchange.get("avoidedProduct") or exchange.get("isAvoidedProduct"):
            entry["kind"] = "waste" if flow.get("flowType") == "WASTE_FLOW" else "product"
            return "avoided", entry
        return "input", self._causal(entry, doc, exchange, factors)

    def _provided(self, provider: str, flow_id: str | None) -> str:
        """``provider`` for its reference product, ``provider#co`` for a co-product."""
        key = self.keys.get((provider, flow_id))
        reference = self._flow(self._products(self.docs[provider])[0]).get("@id")
        pid = self.keys[(provider, reference)]
        return pid if key is None or key == pid else f"{pid}#{key}"

    def _causal(self, entry, doc, exchange, factors) -> dict[str, Any]:
        causal = factors.get("causal")
        if not causal:
            return entry
        internal = exchange.get("internalId")
        values = {flow: v for (flow, ex), v in causal.items() if ex == internal}
        if values:
            entry["allocation"] = {
                self._product_key(doc, flow): value for flow, value in values.items()
            }
        return entry

    def _product_key(self, doc: dict[str, Any], flow_id: str) -> str:
        """The allocation key of a product: the process id or the co-product id."""
        return self.keys[(doc["@id"], flow_id)]


# -- SimaPro CSV ------------------------------------------------------------------------------
_PRODUCTS = ("Products", "Waste treatment")
_INPUTS = ("Materials/fuels", "Electricity/heat", "Waste to treatment")
_PARAMETER_BLOCKS = (
    "Project Input parameters",
    "Database Input parameters",
    "Project Calculated parameters",
    "Database Calculated parameters",
)


class _SimaPro:
    """A SimaPro CSV export: its process blocks, linked by product name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.draft = _Draft(str(path))

    def read(self) -> ImportedModel:
        raw = limits.read_bytes(self.path)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
        lines = text.splitlines()
        header = "\n".join(line for line in lines[:40] if line.startswith("{"))
        sep = {"semicolon": ";", "comma": ",", "tab": "\t"}.get(
            _header_value(r"\{CSV separator:\s*(\w+)", header, "Semicolon").lower(), ";"
        )
        decimal = _header_value(r"\{Decimal separator:\s*(.)", header, ".")
        blocks = list(_blocks(lines, sep))
        for kind, _, fields in blocks:
            if kind in _PARAMETER_BLOCKS:
                self._parameters(fields.get("", []), decimal, calculated="Calculated" in kind)
        processes = [(line, fields) for kind, line, fields in blocks if kind == "Process"]
        if not processes:
            raise ModelError(f"{self.path} holds no SimaPro Process block", location=str(self.path))
        return self._system(processes, decimal)

    def _parameters(self, rows, decimal: str, calculated: bool) -> None:
        for _, cells in rows:
            if not cells or not cells[0].strip():
                continue
            name = cells[0].strip()
            if calculated:
                self.draft.parameters[name] = self._calculated(name, cells)
            else:
                self.draft.parameters[name] = _number(cells[1] if len(cells) > 1 else "0", decimal)

    def _calculated(self, name: str, cells: list[str]) -> str:
        """A calculated parameter's expression; one Tanzuji cannot evaluate is kept as
        written (SimaPro exports no value for it), so the model refuses it, naming the
        parameter, until it is edited."""
        expression = (cells[1] if len(cells) > 1 else "").strip().replace("^", "**")
        try:
            formula.names(expression)
        except TanzujiError:
            self.draft.notes.append(
                f"calculated parameter {name!r} = {expression!r} is not a formula Tanzuji can "
                'evaluate (docs/model.md "Parameters and formulas"); rewrite it'
            )
        return expression or "0"

    def _system(self, processes, decimal: str) -> ImportedModel:
        products: dict[str, tuple[str, str | None]] = {}
        drafts = []
        for line, fields in processes:
            rows = [r for key in _PRODUCTS for r in fields.get(key, [])]
            if not rows:
                raise ModelError(
                    "process has no Products or Waste treatment row",
                    location=f"{self.path}:{line}",
                )
            name = (_value(fields, "Process name") or rows[0][1][0]).strip()
            pid = self.draft.new_id(name.split("/")[0] or "process")
            co_ids = [None] + [
                self.draft.new_id(r[1][0].split("/")[0], "co_product") for r in rows[1:]
            ]
            for (_, cells), co in zip(rows, co_ids, strict=True):
                products[cells[0].strip()] = (pid, co)
            drafts.append((line, fields, pid, name, rows, co_ids))
        consumed = set()
        built = []
        for line, fields, pid, name, rows, co_ids in drafts:
            process = self._process(line, fields, pid, name, rows, co_ids, products, decimal)
            consumed |= {
                i["process"].split("#")[0] for i in process.get("inputs", []) if "process" in i
            }
            built.append(process)
        roots = [p for p in built if p["id"] not in consumed]
        root = (roots or built)[0]
        if len(roots) > 1:
            names = ", ".join(p["id"] for p in roots)
            self.draft.notes.append(
                f"{len(roots)} processes are not used by another ({names}); the reference "
                f"flow is {root['id']!r}"
            )
        unit = root["reference_product"]["unit"]
        product = {
            "id": root["id"],
            "name": root["name"],
            "functional_unit": {"kind": "declared", "amount": 1, "unit": unit},
            "reference_flow": {"process": root["id"], "amount": 1, "unit": unit},
        }
        self.draft.notes.insert(
            0, f"SimaPro CSV with {len(built)} process(es), linked by product name"
        )
        return self.draft.finish({"product": product, "processes": built})

    def _process(self, line, fields, pid, name, rows, co_ids, products, decimal) -> dict[str, Any]:
        self._parameters(fields.get("Input parameters", []), decimal, calculated=False)
        self._parameters(fields.get("Calculated parameters", []), decimal, calculated=True)
        known = set(self.draft.parameters)

        def product(cells) -> dict[str, Any]:
            return {
                "name": _name(cells[0]),
                "amount": self._amount(cells[2] if len(cells) > 2 else "1", decimal, known),
                "unit": self.draft.unit(cells[1].strip() or "piece"),
            }

        process: dict[str, Any] = {
            "id": pid,
            "name": _name(name),
            "life_cycle_stage": DEFAULT_STAGE,
            "reference_product": product(rows[0][1]),
        }
        if len(rows) > 1:
            shares = [_number(c[3], decimal) / 100 if len(c) > 3 else math.nan for _, c in rows]
            process["co_products"] = [
                {"id": co, **product(c)} for (_, c), co in zip(rows[1:], co_ids[1:], strict=True)
            ]
            if all(math.isfinite(s) for s in shares):
                process["reference_product"]["share"] = shares[0]
                for co, share in zip(process["co_products"], shares[1:], strict=True):
                    co["share"] = share
                process["allocation"] = "shares"
            else:
                process["allocation"] = "mass"
                self.draft.notes.append(
                    f"process {pid!r}: allocation percentages unreadable; set by mass"
                )
        inputs: list[dict[str, Any]] = []
        avoided: list[dict[str, Any]] = []
        emissions: list[dict[str, Any]] = []
        for section in (*_INPUTS, "Avoided products"):
            for _, cells in fields.get(section, []):
                if len(cells) < 3 or not cells[0].strip():
                    continue
                entry = self._link(cells[0].strip(), products)
                comment = entry.pop("comment", None)
                entry["amount"] = self._amount(cells[2], decimal, known)
                entry["unit"] = self.draft.unit(cells[1].strip())
                if comment:
                    entry["comment"] = comment
                (avoided if section == "Avoided products" else inputs).append(entry)
        for section in ("Emissions to air", "Resources"):
            for _, cells in fields.get(section, []):
                if len(cells) < 4 or not cells[0].strip():
                    continue
                value = _number(cells[3], decimal)
                resource = section == "Resources"
                emission = self.draft.emission(
                    cells[0].strip(),
                    cells[1] if resource else f"air/{cells[1]}",
                    value if math.isfinite(value) else 0.0,
                    cells[2].strip(),
                    resource,
                )
                if emission is not None:
                    emissions.append(emission)
        for key in (
            "Emissions to water",
            "Emissions to soil",
            "Final waste flows",
            "Non material emissions",
        ):
            self.draft.skipped_flows["non-GHG elementary flows"] += len(fields.get(key, []))
        for key, values in (("inputs", inputs), ("emissions", emissions), ("avoided", avoided)):
            if values:
                process[key] = values
        process["comment"] = f"SimaPro process at {self.path.name}:{line}"
        return process

    def _link(self, name: str, products) -> dict[str, Any]:
        if name in products:
            pid, co = products[name]
            return {"process": f"{pid}#{co}" if co else pid}
        return {"match": name, "comment": "not produced in this file: factor chosen by matching"}

    def _amount(self, text: str, decimal: str, known: set[str]) -> float | str:
        value = _number(text, decimal)
        if math.isfinite(value):
            return value
        written = self.draft.amount(0.0, text.replace(",", ".") if decimal == "," else text, known)
        return written


def _blocks(lines: list[str], sep: str) -> Iterator[tuple[str, int, dict[str, list]]]:
    """``(block kind, first line, {field: [(line, cells)]})`` for each top-level block.

    A block is a kind line (``Process``, ``Project Input parameters``, ...) up to ``End``; in
    a Process each field name is a line of its own, followed by its rows up to a blank line;
    a parameter block has rows only (field ``""``).
    """
    index = 0
    while index < len(lines):
        kind = lines[index].strip(sep + " ")
        if kind == "Process" or kind in _PARAMETER_BLOCKS:
            fields: dict[str, list[tuple[int, list[str]]]] = {}
            start, key = index + 1, None if kind == "Process" else ""
            if key == "":
                fields[""] = []
            index += 1
            while index < len(lines) and lines[index].strip(sep + " ") != "End":
                text = lines[index].rstrip()
                if not text.strip(sep + " "):
                    key = None if kind == "Process" else ""
                elif key is None:
                    key = text.strip(sep + " ")
                    fields[key] = []
                else:
                    fields[key].append((index + 1, _cells(text, sep)))
                index += 1
            yield kind, start, fields
        index += 1


def _cells(line: str, sep: str) -> list[str]:
    import csv

    return next(csv.reader([line], delimiter=sep, quotechar='"'))


def _value(fields: dict[str, list], key: str) -> str:
    rows = fields.get(key) or []
    return " ".join(cells[0] for _, cells in rows if cells).strip()


def _number(text: str, decimal: str) -> float:
    cleaned = text.strip().replace(" ", "")
    if decimal == ",":
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return math.nan


__all__ = ["ImportedModel", "import_product_system"]
