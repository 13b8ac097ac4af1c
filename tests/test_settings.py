"""Settings own their types: every source is parsed and checked alike; the core reads none."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tanzuji import gases, settings
from tanzuji.certify import schemes
from tanzuji.cli import app
from tanzuji.context import Context
from tanzuji.engine.montecarlo import MonteCarloOptions
from tanzuji.engine.solver import SolverOptions
from tanzuji.errors import SettingError
from tanzuji.limits import InputLimits
from tanzuji.store import db

SRC = Path(__file__).resolve().parents[1] / "src" / "tanzuji"


def config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "tanzuji.toml"
    path.write_text("[tanzuji]\n" + body, encoding="utf-8")
    return path


def test_config_file_text_is_parsed_by_the_settings_type(tmp_path):
    path = config(tmp_path, 'use_umfpack = "false"\ntree_cutoff = "0.02"\ngwp_set = "ar5"\n')
    loaded = settings.load({}, path)
    # "false" in quotes used to read as true (a non-empty string)
    assert loaded.use_umfpack is False
    assert loaded.tree_cutoff == 0.02 and loaded.gwp_set == "AR5"
    assert loaded.sources["use_umfpack"] == f"config file {path}"
    assert loaded.sources["language"] == "default"


def test_toml_values_of_the_right_type_are_taken_and_ints_widen_to_floats(tmp_path):
    path = config(tmp_path, "use_umfpack = false\ntree_max_nodes = 50\ntree_cutoff = 0\n")
    loaded = settings.load({}, path)
    assert (loaded.use_umfpack, loaded.tree_max_nodes, loaded.tree_cutoff) == (False, 50, 0.0)
    assert isinstance(loaded.tree_cutoff, float)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('use_umfpack = "sometimes"', r"use_umfpack = 'sometimes' is invalid: expected true or"),
        ("tree_max_nodes = 2.5", r"tree_max_nodes = 2.5 is invalid: expected a whole number"),
        ("tree_cutoff = 2", r"tree_cutoff = 2 is invalid: expected at most 1"),
        ('gwp_set = "AR7"', r"expected one of AR4, AR5, AR6, found 'AR7'"),
        ("factor_release = 2026.1", r"expected text \(write text in quotes\)"),
        ("colour = 1", r"unknown settings \['colour'\]"),
        ("gwp_set = ", r"is not valid TOML"),
    ],
)
def test_bad_config_values_are_one_clear_error(tmp_path, body, message):
    path = config(tmp_path, body + "\n")
    with pytest.raises(SettingError, match=message) as caught:
        settings.load({}, path)
    assert str(path) in str(caught.value)


def test_environment_wins_over_the_config_file_and_is_checked_the_same_way(tmp_path):
    path = config(tmp_path, "tree_max_nodes = 50\n")
    loaded = settings.load({"TANZUJI_TREE_MAX_NODES": "70"}, path)
    assert loaded.tree_max_nodes == 70
    assert loaded.sources["tree_max_nodes"] == "environment TANZUJI_TREE_MAX_NODES"
    with pytest.raises(SettingError, match=r"TANZUJI_TREE_MAX_NODES='0' is invalid: expected at"):
        settings.load({"TANZUJI_TREE_MAX_NODES": "0"}, path)


def test_settings_command_lists_value_source_and_help(tmp_path, monkeypatch):
    path = config(tmp_path, "tree_cutoff = 0.05\n")
    monkeypatch.setenv("TANZUJI_CONFIG", str(path))
    monkeypatch.setenv("TANZUJI_GWP_SET", "AR5")
    result = CliRunner().invoke(app, ["settings", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert set(rows) == set(settings.REGISTRY)
    assert (rows["tree_cutoff"]["value"], rows["tree_cutoff"]["source"]) == (
        0.05,
        f"config file {path}",
    )
    assert rows["gwp_set"]["source"] == "environment TANZUJI_GWP_SET"
    assert rows["language"]["source"] == "default"
    assert rows["use_umfpack"]["help"] == settings.REGISTRY["use_umfpack"].help
    table = CliRunner().invoke(app, ["settings"]).output
    assert "tree_cutoff" in table and "config file" in table and "environment" in table


def test_core_defaults_equal_the_setting_defaults(tmp_path):
    """The defaults a library call gets without a Context are the settings' defaults."""
    snapshot = settings.Settings.defaults().replace(data_dir=str(tmp_path))
    defaults = Context.from_settings(snapshot)
    assert defaults.solver_options == SolverOptions()
    assert defaults.monte_carlo_options == MonteCarloOptions()
    assert defaults.limits == InputLimits()
    assert settings.REGISTRY["gwp_set"].default == gases.DEFAULT_GWP_SET
    # every scheme the setting offers is a scheme of data/schemes/schemes.yaml, and back
    assert set(settings.REGISTRY["certification_scheme"].choices) == set(schemes.schemes())
    assert settings.REGISTRY["certification_scheme"].default in schemes.schemes()
    assert settings.REGISTRY["database_busy_timeout_ms"].default == db.DEFAULT_BUSY_TIMEOUT_MS


#: Modules that may read settings, the environment or a config file: the registry itself and
#: the command-line edge (which builds the Context).
MAY_READ_SETTINGS = ("settings.py", "cli/")
FORBIDDEN_CALLS = {
    ("settings", "get"),
    ("settings", "load"),
    ("settings", "describe"),
    ("os", "getenv"),
}


def _reads_of_settings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            pair = (node.value.id, node.attr)
            if pair in FORBIDDEN_CALLS or pair == ("os", "environ"):
                found.append(f"{path.relative_to(SRC)}:{node.lineno} {pair[0]}.{pair[1]}")
        if isinstance(node, ast.Constant) and node.value == "tanzuji.toml":
            found.append(f"{path.relative_to(SRC)}:{node.lineno} 'tanzuji.toml'")
    return found


def test_nothing_below_the_edges_reads_settings_or_the_environment():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith(MAY_READ_SETTINGS):
            continue
        offenders += _reads_of_settings(path)
    assert offenders == [], "pass values down through the Context instead"


def test_the_core_never_imports_the_edges_or_the_services():
    upward = (
        "tanzuji.cli",
        "tanzuji.pact_host",
        "tanzuji.web",
        "tanzuji.jobs",
        "tanzuji.services",
        "tanzuji.context",
    )
    edges = ("cli/", "pact_host/", "web/", "jobs/", "services/")
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith(edges) or relative == "context.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            offenders += [f"{relative}: {n}" for n in names if n.startswith(upward)]
    assert offenders == []
