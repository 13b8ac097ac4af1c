"""docs/settings.md documents every registered setting (style.md: a test fails if not)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tanzuji import settings

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_settings_doc", ROOT / "scripts" / "gen_settings_doc.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_registered_setting_is_in_docs_settings_md():
    generator = _generator()
    generator.import_all_modules()  # modules register their settings on import
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [
        name
        for name, setting in settings.REGISTRY.items()
        if f"| `{name}` | `{setting.env_var}` |" not in page
    ]
    assert not missing, (
        f"settings missing from docs/settings.md: {missing}; "
        "run .venv/bin/python scripts/gen_settings_doc.py"
    )


def test_documented_help_matches_the_registry():
    generator = _generator()
    generator.import_all_modules()
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for setting in settings.REGISTRY.values():
        assert setting.help.replace("|", "\\|") in page, (
            f"help of {setting.name!r} changed; run .venv/bin/python scripts/gen_settings_doc.py"
        )


def test_generator_renders_one_row_per_setting():
    generator = _generator()
    generator.import_all_modules()
    rows = [line for line in generator.render().splitlines() if line.startswith("| `")]
    assert len(rows) == len(settings.REGISTRY)
