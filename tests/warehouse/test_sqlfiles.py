import pytest

from warehouse.sqlfiles import for_family, parse_named_sql, statement


def test_named_blocks_parse_and_duplicates_are_refused():
    assert parse_named_sql("-- header\n-- name: a\nselect 1;\n-- name: b\nselect 2;\n") == {
        "a": "select 1;",
        "b": "select 2;",
    }
    with pytest.raises(ValueError, match="twice"):
        parse_named_sql("-- name: a\nselect 1;\n-- name: a\nselect 2;\n")


def test_family_placeholders_only_take_contract_families():
    sql = for_family("load.sql", "delete_updated", "diagnoses")
    assert "delete from diagnoses" in sql
    assert "t.encounter_id = s.encounter_id and t.seq = s.seq" in sql
    with pytest.raises(KeyError):
        for_family("load.sql", "delete_updated", "encounters; drop table x")


def test_every_loader_statement_is_named():
    assert statement("load.sql", "insert_load_log").startswith("insert into load_log")
