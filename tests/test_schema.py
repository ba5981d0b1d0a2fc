"""The committed JSON Schemas are the ones the typed models generate (policy-tools schema)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from policy_tools.cli import cli
from policy_tools.model import schema as schema_mod

COMMITTED = Path(schema_mod.SCHEMA_DIR)
NAMES = sorted(schema_mod.SCHEMAS)


def test_schema_check_passes_on_committed_files() -> None:
    result = CliRunner().invoke(cli, ["schema", "--check"])
    assert result.exit_code == 0, result.output
    for name in NAMES:
        assert f"{name}: up to date" in result.output


@pytest.mark.parametrize("name", NAMES)
def test_committed_schema_equals_generated(name: str) -> None:
    assert (COMMITTED / name).read_text(encoding="utf-8") == schema_mod.schema_text(name)


@pytest.mark.parametrize("name", NAMES)
def test_committed_schema_is_valid_json_schema(name: str) -> None:
    data = json.loads((COMMITTED / name).read_text(encoding="utf-8"))
    assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(data)


def test_check_fails_on_stale_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NAMES:
        shutil.copy(COMMITTED / name, tmp_path / name)
    stale = tmp_path / "policy.schema.json"
    stale.write_text(stale.read_text(encoding="utf-8").replace('"pages"', '"page_count"'))
    before = stale.read_bytes()
    monkeypatch.setattr(schema_mod, "SCHEMA_DIR", tmp_path)
    result = CliRunner().invoke(cli, ["schema", "--check"])
    assert result.exit_code == 2
    assert "policy.schema.json" in result.stderr
    assert "out of date" in result.stderr
    assert stale.read_bytes() == before  # --check never writes


def test_schema_writes_missing_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema_mod, "SCHEMA_DIR", tmp_path)
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0, result.output
    for name in NAMES:
        assert (tmp_path / name).read_text(encoding="utf-8") == schema_mod.schema_text(name)
    again = CliRunner().invoke(cli, ["schema", "--check"])
    assert again.exit_code == 0
