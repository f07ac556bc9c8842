"""Contract: import declarations load one file at a time (a broken file carries its error,
naming the file, the field and the reason, and the others still load), and a declaration's
`source` must resolve (symlinks and `..` included) inside the imports folder or a root allowed
explicitly, refused otherwise naming the file, the field and the folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from cx_assets.genesys.datatables.declarations import (
    DeclarationError,
    declaration_files,
    load_declaration_file,
    load_declarations,
)
from cx_assets.genesys.datatables.source_paths import SourceOutsideRoots, resolve_source

GOOD = "name: tiers\ntable_id: t-1\nsource: files/tiers.csv\n"


def _folder(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "imports"
    (folder / "files").mkdir(parents=True, exist_ok=True)
    (folder / "files" / "tiers.csv").write_text("id\n1\n")
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text)
    return folder


def test_each_file_loads_on_its_own_and_a_broken_one_names_file_field_reason(
    tmp_path: Path,
) -> None:
    folder = _folder(
        tmp_path,
        a_good=GOOD,
        b_bad_yaml="name: [unclosed\n",
        c_invalid="name: tiny\ntable_id: t-1\nsource: files/tiers.csv\nchunk_size: 5\n",
        d_duplicate=GOOD,
        e_list="- just\n- a list\n",
    )

    files = {f.path.stem: f for f in declaration_files(folder)}

    good = files["a_good"].declaration
    assert good is not None and good.name == "tiers"
    errors = {stem: f.error or "" for stem, f in files.items() if f.declaration is None}
    assert set(errors) == {"b_bad_yaml", "c_invalid", "d_duplicate", "e_list"}
    assert "b_bad_yaml.yaml: not readable YAML" in errors["b_bad_yaml"]
    assert (
        "c_invalid.yaml: field chunk_size: Input should be greater than or equal to 50"
        in (errors["c_invalid"])
    )
    assert (
        "d_duplicate.yaml: field name: import name 'tiers' is already declared in"
        in (errors["d_duplicate"])
    )
    assert "expected a mapping of fields, got list" in errors["e_list"]
    with pytest.raises(DeclarationError, match=r"b_bad_yaml\.yaml"):
        load_declarations(folder)  # the strict loader still stops at the first broken file


def test_a_rule_of_the_whole_declaration_is_named_without_a_field(tmp_path: Path) -> None:
    folder = _folder(tmp_path, both="name: x\ntable_id: t\nsource: a.csv\nquery: SELECT 1\n")
    with pytest.raises(DeclarationError, match=r"both\.yaml: give exactly one of source"):
        load_declaration_file(folder / "both.yaml")


def _declared(folder: Path, source: str) -> Path:
    (folder / "d.yaml").write_text(f"name: d\ntable_id: t-1\nsource: {source}\n")
    return folder / "d.yaml"


def test_a_source_inside_the_folder_resolves(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    declaration = load_declaration_file(_declared(folder, "files/tiers.csv"))
    assert resolve_source(declaration, [folder]) == (folder / "files" / "tiers.csv").resolve()


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink", "symlinked_folder"])
def test_a_source_outside_the_folder_is_refused_naming_file_field_and_folder(
    tmp_path: Path, how: str
) -> None:
    folder = _folder(tmp_path)
    secret = tmp_path / "outside" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text("id\nstolen\n")
    if how == "symlink":
        (folder / "files" / "link.csv").symlink_to(secret)
    if how == "symlinked_folder":
        (folder / "files" / "elsewhere").symlink_to(secret.parent, target_is_directory=True)
    source = {
        "dotdot": "files/../../outside/secret.csv",
        "absolute": str(secret),
        "symlink": "files/link.csv",
        "symlinked_folder": "files/elsewhere/secret.csv",
    }[how]
    declaration = load_declaration_file(_declared(folder, source))

    with pytest.raises(SourceOutsideRoots) as caught:
        resolve_source(declaration, [folder])

    message = str(caught.value)
    assert str(folder / "d.yaml") in message and "field source" in message
    assert f"outside {folder.resolve()}" in message and str(secret.resolve()) in message
    assert "CX_DATATABLE_IMPORT_ROOTS" in message
    # an explicitly allowed root lets the same source through
    assert resolve_source(declaration, [folder, secret.parent]) == secret.resolve()
