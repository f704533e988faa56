"""docs/extract-contract.md says what warehouse/contract.py does."""

from pathlib import Path

from warehouse.contract import ENUMS, FAMILIES, FLAG_KINDS, REJECT_RULES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "extract-contract.md").read_text()


def test_every_family_and_column_is_documented():
    for fam in FAMILIES.values():
        assert f"### {fam.name}" in DOC
        for col in fam.columns:
            row = f"| `{col.name}` | {col.type} | {'yes' if col.required else ''} |"
            assert row in DOC, (fam.name, col.name)


def test_every_rule_and_flag_is_documented():
    for rule in [*REJECT_RULES, *FLAG_KINDS]:
        assert f"| `{rule}` |" in DOC, rule


def test_every_enum_value_is_documented():
    for values in ENUMS.values():
        for canonical in values:
            assert canonical in DOC
