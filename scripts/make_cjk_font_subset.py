"""Make the CJK font subset shipped in src/tanzuji/data/fonts/ (run once by a maintainer).

Source: Noto Sans CJK SC (SIL Open Font License 1.1), Debian package fonts-noto-cjk
(``apt-get install fonts-noto-cjk``), file /usr/share/fonts/opentype/noto/NotoSans
CJK-Regular.ttc, face index 2 (SC). The subset keeps ASCII, Latin-1, CJK punctuation and
every character of GB 2312 (6763 hanzi), so product and company names in simplified Chinese
render in label PNGs without any system font. Needs ``pip install fonttools``.

    python scripts/make_cjk_font_subset.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = Path("/usr/share/fonts/opentype/noto")
TARGET = Path(__file__).resolve().parents[1] / "src" / "tanzuji" / "data" / "fonts"


def gb2312_characters() -> str:
    chars = []
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.append(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(chars)


def main() -> None:
    text = "".join(chr(c) for c in range(0x20, 0x100)) + gb2312_characters() + "₂·–—…₀"
    for weight in ("Regular",):
        collection = TTCollection(str(SOURCE / f"NotoSansCJK-{weight}.ttc"))
        font = next(f for f in collection.fonts if "SC" in f["name"].getDebugName(1))
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
        out = TARGET / f"NotoSansSC-{weight}-GB2312.otf"
        font.save(str(out))
        print(out, out.stat().st_size, "bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
