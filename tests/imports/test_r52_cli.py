"""R52 from the CLI: ``import`` exits 1 with every bad row (text and --json) and writes nothing;
--map overrides one column and keeps the others matched by header; --save-mapping then --mapping;
``export --rows lines`` / ``--object`` write what ``import`` reads."""

from __future__ import annotations

import csv

from invoice_tui.db.models import Contact
from tests.clikit import Cli, isolated_config  # noqa: F401 - autouse


def _csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def test_r52_cli_dry_run_exit_1_with_rows_then_import_save_and_reuse_mapping(sqlite_url, capsys, tmp_path):
    cli = Cli(sqlite_url, capsys)
    head = ["Courriel", "Prénom", "Pays"]
    _csv(tmp_path / "a.csv", [head, ["ada@example.org", "Ada", "GB"], ["bob@example", "Bob", "FR"],
                              ["eve@example.org", "Eve", "Atlantis"]])
    r = cli("import", "contacts", "--file", str(tmp_path / "a.csv"))
    assert r.code == 2 and "No column is mapped to Email" in r.err  # "Courriel" is no export header
    r = cli("import", "contacts", "--file", str(tmp_path / "a.csv"), "--map", "email=Courriel", "--dry-run",
            as_json=True)
    assert r.code == 1
    assert [(e["row"], e["column"]) for e in r.data["errors"]] == [(3, "Courriel"), (4, "Pays")]
    assert r.data["written"] is False and Contact.select().count() == 0
    _csv(tmp_path / "a.csv", [head, ["ada@example.org", "Ada", "GB"], ["bob@example.org", "Bob", "FR"]])
    r = cli("import", "contacts", "--file", str(tmp_path / "a.csv"), "--map", "email=Courriel",
            "--save-mapping", "crm")
    assert r.code == 0 and "imported 2 contacts" in r.out and "Mapping saved as 'crm'" in r.out
    assert Contact.get(Contact.email == "bob@example.org").first_name == "Bob"  # Prénom matched by header
    _csv(tmp_path / "b.csv", [head, ["zoe@example.org", "Zoé", "BE"], ["ada@example.org", "Ada", "GB"]])
    r = cli("import", "contacts", "--file", str(tmp_path / "b.csv"), "--mapping", "crm")
    assert r.code == 0 and "imported 1 contacts, 1 matched existing ones" in r.out, r.out
    r = cli("import-mappings", as_json=True)
    assert r.data[0]["name"] == "crm" and r.data[0]["columns"]["email"] == "Courriel"
    r = cli("export", "--format", "csv", "--object", "contacts", "--out", str(tmp_path / "c.csv"))
    assert r.code == 0 and "Exported 3 contacts" in r.out
    with open(tmp_path / "c.csv", encoding="utf-8") as fh:
        assert next(csv.reader(fh))[:3] == ["Email", "First name", "Last name"]
    r = cli("export", "--format", "csv", "--rows", "lines", "--object", "contacts")
    assert r.code == 2 and "give one" in r.err
