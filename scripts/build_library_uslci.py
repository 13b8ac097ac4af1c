"""Build ``data/library/uslci-ar6.derived.json.gz``: USLCI's cradle-to-gate factors in AR6.

Input: ``shared/reference/lci/uslci/uslci_olca1_5_0_json_ld`` (USLCI FY17.Q4.02, openLCA
JSON-LD; see its README) and the shipped about file ``data/library/uslci.about.json`` (title,
publisher, licence, the entire NREL notice and the MIT licence). The library is imported with
the default linking rules (default provider, then the one reference-product producer; CUTOFF
flows cut off; co-products not allocated) into a throw-away SQLite database, solved once, and
every process's cradle-to-gate intensity is written with its provenance and the notice.
``tests/test_library_uslci.py`` checks the file against a fresh derivation.

Run: ``.venv/bin/python scripts/build_library_uslci.py [USLCI_FOLDER]``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tanzuji import library_ops as ops
from tanzuji.store import db

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "tanzuji" / "data" / "library" / "uslci-ar6.derived.json.gz"
DEFAULT_INPUT = ROOT.parent / "shared" / "reference" / "lci" / "uslci" / "uslci_olca1_5_0_json_ld"


def main(source: Path = DEFAULT_INPUT) -> None:
    about = ops.read_about("uslci")
    with tempfile.TemporaryDirectory() as folder:
        engine = db.engine_for(f"sqlite:///{folder}/uslci.db")
        db.upgrade(engine)
        summary = ops.import_library(
            engine, source, name="uslci", about=about, source_name=str(source.name)
        )
        derived = ops.derive_factors(engine, "uslci", gwp_set="AR6")
        ops.export_derived(derived, about, OUTPUT)
        engine.dispose()
    print(
        f"{OUTPUT}: {derived.factors} factors, {summary.info.counts['exchanges']} exchanges, "
        f"content sha256 {summary.info.content_hash}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_INPUT)
