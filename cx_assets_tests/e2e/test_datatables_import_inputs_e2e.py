"""Data table imports through Dagster with hostile input: a broken declaration file fails only
its own asset (the code location, every other asset, sensor and schedule still load), a source
outside the imports folder is refused before any request, a CSV or JSONL source that cannot be
read safely fails once naming file, line and reason, and `nothing_lost` fails when a row of the
file is neither imported nor quarantined."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

import cx_assets.flows.datatables as flows_datatables
from cx_assets.defs.datatables.import_files import IMPORTS_DIR
from cx_assets.defs.datatables.imports import import_assets
from cx_assets.lake.datatables_sources import SourceRows
from cx_assets_tests.e2e.pipeline_testkit import Pipeline

TIERS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000001"
DEMO_CSV = IMPORTS_DIR / "files" / "customer_tiers_update.csv"
GOOD = f"name: tiers_good\ntable_id: {TIERS}\napi_mode: tutorial\nsource: files/tiers.csv\n"


def _imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **files: str) -> Path:
    """A fresh imports folder (the demo CSV in files/), used as CX_DATATABLE_IMPORTS_DIR."""
    folder = tmp_path / "imports"
    (folder / "files").mkdir(parents=True)
    shutil.copy(DEMO_CSV, folder / "files" / "tiers.csv")
    for name, text in files.items():
        (folder / name).write_text(text)
    monkeypatch.setenv("CX_DATATABLE_IMPORTS_DIR", str(folder))
    monkeypatch.delenv("CX_DATATABLE_IMPORT_ROOTS", raising=False)
    return folder


def _assets(folder: Path) -> dict[str, dg.AssetsDefinition]:
    return {a.key.to_user_string(): a for a in import_assets(folder)}


def _failures(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    """Step key -> the error a person reads in the UI."""
    return {
        e.step_key or "": str(e.step_failure_data.error)
        for e in result.all_events
        if e.is_step_failure
    }


def _retries(result: dg.ExecuteInProcessResult) -> int:
    return sum(e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY for e in result.all_events)


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def _batches(pipeline: Pipeline) -> list[int]:
    return list(pipeline.emulator.stats().get("datatable_batches", {}).get(TIERS, []))


def _load_definitions(imports: Path | None) -> dict[str, Any]:
    """Import cx_assets.definitions in a fresh interpreter, as `dagster dev` would."""
    script = (
        "import json, dagster as dg\n"
        "from cx_assets.definitions import defs\n"
        "dg.Definitions.validate_loadable(defs)\n"
        "print(json.dumps({'assets': sorted(k.to_user_string() for k in "
        "defs.resolve_asset_graph().get_all_asset_keys()), "
        "'schedules': sorted(s.name for s in defs.schedules or []), "
        "'sensors': sorted(s.name for s in defs.sensors or [])}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CX_DATATABLE_IMPORT")}
    if imports is not None:
        env["CX_DATATABLE_IMPORTS_DIR"] = str(imports)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


BROKEN = {
    "tiers_good.yaml": GOOD,
    "bad_yaml.yaml": "name: bad_yaml\ntable_id: [unclosed\n",
    "bad_field.yaml": GOOD.replace("tiers_good", "bad_field") + "chunk_size: 5\n",
    "no_table.yaml": "name: no_table\ntable: No Such Table\napi_mode: tutorial\n"
    "source: files/tiers.csv\n",
}


def test_broken_declarations_do_not_take_the_code_location_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _imports(tmp_path, monkeypatch, **BROKEN)

    normal, broken = _load_definitions(None), _load_definitions(folder)

    assert broken["schedules"] == normal["schedules"] and broken["sensors"] == normal["sensors"]
    ours = {"datatable_import_customer_tiers_update", "datatable_import_customer_tiers_platform"}
    assert set(broken["assets"]) - set(normal["assets"]) == {
        "datatable_import_tiers_good",
        "datatable_import_bad_yaml",
        "datatable_import_bad_field",
        "datatable_import_no_table",
    }
    assert set(normal["assets"]) - set(broken["assets"]) == ours  # the package's own folder


def test_the_good_import_materialises_and_each_broken_one_fails_with_its_reason(
    pipeline: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _imports(tmp_path, monkeypatch, **BROKEN)

    result = pipeline.materialize_assets(list(_assets(folder).values()), raise_on_error=False)

    failures = _failures(result)
    assert set(failures) == {
        "datatable_import_bad_yaml",
        "datatable_import_bad_field",
        "datatable_import_no_table",
    }
    assert "bad_yaml.yaml does not load" in failures["datatable_import_bad_yaml"]
    assert "not readable YAML" in failures["datatable_import_bad_yaml"]
    assert "bad_field.yaml" in failures["datatable_import_bad_field"]
    assert (
        "field chunk_size: Input should be greater than or equal to 50"
        in (failures["datatable_import_bad_field"])
    )
    assert "No Such Table" in failures["datatable_import_no_table"]
    assert _retries(result) == 0  # none of them is something a retry could fix
    [good] = result.get_asset_materialization_events()
    assert good.asset_key == dg.AssetKey("datatable_import_tiers_good")
    assert all(c.passed for c in _checks(result).values())
    assert sum(_batches(pipeline)) == 7  # the good file's valid rows, and only those
    assert pipeline.sql("SELECT import_name, quarantined FROM datatable_imports") == [
        ("tiers_good", 5)
    ]


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
def test_a_source_outside_the_imports_folder_is_refused_before_any_request(
    pipeline: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = shutil.copy(DEMO_CSV, outside / "secret.csv")
    source = {
        "dotdot": "files/../../outside/secret.csv",
        "absolute": str(secret),
        "symlink": "files/link.csv",
    }[how]
    folder = _imports(
        tmp_path, monkeypatch, **{"escape.yaml": GOOD.replace("files/tiers.csv", source)}
    )
    if how == "symlink":
        (folder / "files" / "link.csv").symlink_to(secret)
    asset = _assets(folder)["datatable_import_tiers_good"]
    requests_before = pipeline.emulator.stats()["requests"]

    result = pipeline.materialize_assets([asset], raise_on_error=False)

    [message] = _failures(result).values()
    assert str(folder / "escape.yaml") in message and "field source" in message
    assert f"outside {folder.resolve()}" in message and "CX_DATATABLE_IMPORT_ROOTS" in message
    assert _retries(result) == 0
    assert pipeline.emulator.stats()["requests"] == requests_before  # not even a token
    assert _batches(pipeline) == []

    monkeypatch.setenv("CX_DATATABLE_IMPORT_ROOTS", str(outside))  # allowed explicitly
    assert pipeline.materialize_assets([asset]).success
    assert sum(_batches(pipeline)) == 7


HOSTILE = {
    "unclosed quote": (
        "tiers.csv",
        b"customer_id,tier,credit_limit,vip,since\nC-1,gold,1,true,2023-01-01\n"
        b'C-2,"gold,2,true,2023-01-01\n'
        + b"".join(b"C-%d,silver,3,false,2023-01-01\n" % n for n in range(3, 53)),
        "line 3: unclosed quote",
    ),
    "bad byte": (
        "tiers.csv",
        b"customer_id,tier,credit_limit,vip,since\nC-1,gold,1,true,2023-01-01\n"
        b"C-2,caf\xe9,1,true,2023-01-01\n",
        "line 3: byte 0xe9 at column 8 is not UTF-8",
    ),
    "over-long field": (
        "tiers.jsonl",
        b'{"customer_id": "C-1", "tier": "gold"}\n{"customer_id": "C-2", "tier": "'
        + b"x" * 70_000
        + b'"}\n',
        "line 2: over-long field: field 'tier' is 70000 characters",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_source_that_cannot_be_read_safely_fails_once_naming_file_line_reason(
    pipeline: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    name, data, reason = HOSTILE[case]
    folder = _imports(tmp_path, monkeypatch, **{"hostile.yaml": GOOD.replace("tiers.csv", name)})
    (folder / "files" / name).write_bytes(data)

    result = pipeline.materialize_assets(list(_assets(folder).values()), raise_on_error=False)

    [message] = _failures(result).values()
    assert f"{folder / 'files' / name}: {reason}" in message
    assert "halted before sending anything" in message
    assert _retries(result) == 0  # one attempt: a retry cannot fix the file
    assert _batches(pipeline) == []
    assert pipeline.sql("SELECT count(*) FROM datatable_quarantine") == [(0,)]


def test_a_row_lost_between_the_file_and_the_table_fails_nothing_lost(
    pipeline: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tampering: a reader that drops a parsed row (as an unclosed quote once did) while the
    file's lines still say 12 rows. The check names the gap."""
    real = flows_datatables.read_source_rows

    def losing_one(path: Path, **kw: Any) -> SourceRows:
        read = real(path, **kw)
        return SourceRows(
            read.rows[:-1], read.columns, None, read.unreadable, read.row_numbers[:-1],
            read.physical_rows,
        )  # fmt: skip

    monkeypatch.setattr(flows_datatables, "read_source_rows", losing_one)
    folder = _imports(tmp_path, monkeypatch, **{"tiers_good.yaml": GOOD})

    result = pipeline.materialize_assets(list(_assets(folder).values()))

    lost = _checks(result)["nothing_lost"]
    assert not lost.passed
    assert lost.description == (
        "1 of the 12 row(s) in files/tiers.csv were neither imported nor quarantined "
        "(6 imported, 5 quarantined)"
    )
    assert lost.metadata["unaccounted"].value == 1
    assert _checks(result)["import_verified"].passed  # what was sent did land
