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

from tanzuji.context import Context
from tanzuji.library.shipped import shipped_about
from tanzuji.library.sources import members
from tanzuji.services import library as service
from tanzuji.settings import Settings
from tanzuji.store import db

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "tanzuji" / "data" / "library" / "uslci-ar6.derived.json.gz"
DEFAULT_INPUT = ROOT.parent / "shared" / "reference" / "lci" / "uslci" / "uslci_olca1_5_0_json_ld"


def main(source: Path = DEFAULT_INPUT) -> None:
    about = shipped_about("uslci")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/uslci.db"
        db.database_for(url).upgrade()
        ctx = Context.from_settings(Settings.defaults().replace(database_url=url, data_dir=folder))
        request = service.LibraryImportRequest(
            name="uslci",
            about=about,
            files=service.package_of(list(members(source))),
            source_name=str(source.name),
        )
        summary = service.import_library(ctx, request)
        derived = service.derive_factors(ctx, service.DeriveRequest(name="uslci", gwp_set="AR6"))
        OUTPUT.write_bytes(service.derived_file(derived, about, compress=True))
        ctx.require_database().dispose()
    print(
        f"{OUTPUT}: {derived.factors} factors, {summary.info.counts['exchanges']} exchanges, "
        f"content sha256 {summary.info.content_hash}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_INPUT)
