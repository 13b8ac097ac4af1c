"""Files the pages load from the package itself (the platform runs offline, no CDN): the
vendored Vega, Vega-Lite and vega-embed scripts of the charts and the CJK font of the pages
and charts (Noto Sans SC, SIL OFL 1.1)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from tanzuji.errors import NotFound
from tanzuji.report import vega

router = APIRouter(include_in_schema=False)

#: A year: the files change only with the package version.
CACHE = {"Cache-Control": "public, max-age=31536000, immutable"}


@router.get("/vendor/{name}")
def vendored(name: str) -> FileResponse:
    """One of the vendored chart scripts (:data:`tanzuji.report.vega.VENDOR_SCRIPTS`)."""
    if name not in vega.VENDOR_SCRIPTS:
        raise NotFound(f"no vendored file {name!r} / 无此文件")
    return FileResponse(vega.VENDOR_DIR / name, media_type="text/javascript", headers=CACHE)


@router.get("/fonts/cjk.otf")
def cjk_font() -> FileResponse:
    """The CJK font (so that Chinese shows on machines without a Chinese font)."""
    return FileResponse(vega.FONT_FILE, media_type="font/otf", headers=CACHE)


__all__ = ["router"]
