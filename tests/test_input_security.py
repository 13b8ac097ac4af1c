"""Hostile input files are refused with clear errors: XML entity bombs and external entities,
zip bombs and oversized files, YAML alias bombs and deep nesting, formula recursion.

Each hostile file is built here, small, from its well-known shape (OWASP "XML External Entity
Prevention" and "billion laughs"; the zip bomb as a member that declares and unpacks to more
than the limit). Limits are lowered (as a Context's ``InputLimits``, the settings ``max_*``)
so the tests stay fast.
"""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from tanzuji.errors import FactorImportError, FormulaError, ModelFileError
from tanzuji.factors.importers import ecospold2, ilcd, limits, pact, simapro, table
from tanzuji.factors.importers.xmlread import parse
from tanzuji.limits import InputLimits
from tanzuji.model.files import load_model, parse_document
from tanzuji.model.formula import evaluate

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<ecoSpold><activityDataset>&lol3;</activityDataset></ecoSpold>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<processDataSet><processInformation>&xxe;</processInformation></processDataSet>
"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_xml_entities_are_refused(data):
    with pytest.raises(FactorImportError, match="declares entities or external references"):
        parse(data, "hostile.xml")


@pytest.mark.parametrize(
    ("reader", "name", "data"),
    [
        (ecospold2.read, "bomb.spold", BILLION_LAUGHS),
        (ilcd.read, "xxe.xml", EXTERNAL_ENTITY),
    ],
)
def test_importers_refuse_hostile_xml(tmp_path, reader, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(FactorImportError, match="refused for safety"):
        reader(path)


def test_zip_bomb_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.spold", b"<a>" + b" " * 1_000_000 + b"</a>")  # 1 MB -> ~1 kB
    assert path.stat().st_size < 10_000
    with (
        limits.applied(InputLimits(max_unpacked_bytes=100_000)),
        pytest.raises(FactorImportError, match=r"unpacks to 1000007 bytes; at most 100000"),
    ):
        ecospold2.read(path)


def _lying_zip(path, name: str, data: bytes, declared: int) -> None:
    """A zip whose member declares ``declared`` bytes but unpacks to ``len(data)``.

    The uncompressed-size fields of the local header (offset 22) and of the central directory
    entry (offset 24) are rewritten, as PKWARE APPNOTE.TXT 4.3.7 and 4.3.12 lay them out.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    raw = bytearray(buffer.getvalue())
    struct.pack_into("<I", raw, raw.find(b"PK\x03\x04") + 22, declared)
    struct.pack_into("<I", raw, raw.find(b"PK\x01\x02") + 24, declared)
    path.write_bytes(bytes(raw))


def test_zip_member_unpacking_past_its_declared_size_is_refused(tmp_path):
    path = tmp_path / "lying.zip"
    _lying_zip(path, "a.spold", b"<a>" + b" " * 1_000_000 + b"</a>", declared=100)
    with pytest.raises(
        FactorImportError,
        match=r"lying.zip\[a.spold\]: member unpacks past the 100 bytes it declares",
    ):
        ecospold2.read(path)


def test_zip_member_unpacking_to_less_than_declared_is_refused(tmp_path):
    path = tmp_path / "short.zip"
    _lying_zip(path, "a.spold", b"<a/>", declared=10)
    with pytest.raises(FactorImportError, match=r"unpacks to 4 bytes .* it declares 10 bytes"):
        ecospold2.read(path)


def test_xlsx_is_checked_as_a_zip(tmp_path):
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b" " * 5000)
    with (
        limits.applied(InputLimits(max_unpacked_bytes=1000)),
        pytest.raises(FactorImportError, match="max_unpacked_bytes"),
    ):
        table.read(path)


def test_zip_member_names_are_never_paths_on_disk(tmp_path):
    """zip-slip: a member named ../../x is read into memory, nothing is written."""
    path = tmp_path / "slip.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../../evil.spold", b"<not-a-dataset/>")
    before = set(tmp_path.parent.parent.iterdir())
    with pytest.raises(FactorImportError, match=r"slip.zip\[\.\./\.\./evil.spold\]"):
        ecospold2.read(path)  # read in memory, reported under its member name
    assert set(tmp_path.parent.parent.iterdir()) == before
    assert not (tmp_path.parent.parent / "evil.spold").exists()


@pytest.mark.parametrize(
    ("reader", "name", "content"),
    [
        (table.read, "f.csv", b"id,name_en\n" + b"x,y\n" * 100),
        (simapro.read, "f.csv", b"{SimaPro 9.5}\n" + b"x\n" * 100),
        (pact.read, "f.json", b"[" + b"1," * 200 + b"1]"),
        (ecospold2.read, "f.spold", b"<a>" + b" " * 500 + b"</a>"),
    ],
)
def test_oversized_import_files_are_refused(tmp_path, reader, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with (
        limits.applied(InputLimits(max_upload_bytes=200)),
        pytest.raises(FactorImportError, match=r"bytes; at most 200 bytes .*max_upload_bytes"),
    ):
        reader(path)
    assert limits.current() == InputLimits()  # lowered only inside the block


def test_oversized_model_is_refused(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("product: {}\nprocesses: []\n", "utf-8")
    with pytest.raises(ModelFileError, match="is 26 bytes; at most 10 bytes"):
        load_model(path, InputLimits(max_upload_bytes=10))


def test_yaml_alias_bomb_is_refused():
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    # 9 ** 9 = 387,420,489 values once expanded; refused at max_document_nodes
    with pytest.raises(ModelFileError, match="more than 1000000 values once its aliases"):
        parse_document("\n".join(lines), "lol.yaml")


def test_yaml_deep_nesting_is_refused():
    with pytest.raises(ModelFileError, match="nests mappings and lists too deeply"):
        parse_document("[" * 5000 + "]" * 5000, "deep.yaml")
    with pytest.raises(ModelFileError, match="more than 100 levels"):
        parse_document("a: " + "[" * 150 + "]" * 150, "deep.yaml")


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("1" + "+1" * 200, "more than 100 operations deep"),
        ("-" * 1900 + "1", "more than 100 operations deep"),
        ("(" * 300 + "1" + ")" * 300, "not valid arithmetic"),
        ("2 ** 1001", "raises to the power 1001"),
        ("9 ** 999 ** 999", "overflows"),
        ("x" * 2001, "at most 2000 allowed"),
        ("().__class__", "uses Attribute"),
    ],
)
def test_formula_limits(formula, message):
    with pytest.raises(FormulaError, match=message):
        evaluate(formula, {"x": 1.0})
