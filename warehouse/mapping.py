"""Site column-mapping files (YAML or TOML): header renames, value maps, declared encoding.

Example (YAML)::

    encoding: cp1252            # optional: the files' text encoding (default UTF-8)
    files:                      # optional: file-name glob -> family, for names that do not say it
      "adt_export*": encounters
    columns:                    # extract column -> contract column, per family or "*" for all
      encounters:
        mrn_number: patient_id
        pt_type: patient_type
      "*":
        enc_no: encounter_id
    values:                     # site value -> contract value, per contract column
      patient_type:
        "I/P": inpatient
      financial_class:
        BCBS: commercial
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from warehouse.contract import FAMILIES
from warehouse.errors import UsageProblem
from warehouse.readers import normalise_header

#: Header synonyms every site gets without a mapping file.
COLUMN_SYNONYMS: dict[str, str] = {
    "mrn": "patient_id",
    "medical_record_number": "patient_id",
    "dob": "birth_date",
    "date_of_birth": "birth_date",
    "zip": "zip_code",
    "zipcode": "zip_code",
    "postal_code": "zip_code",
    "admission_date": "admit_date",
    "discharged_date": "discharge_date",
    "drg": "ms_drg",
    "msdrg": "ms_drg",
    "payer_name": "primary_payer",
    "financial_class_code": "financial_class",
    "encounter_number": "encounter_id",
    "account_number": "encounter_id",
}


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file (empty when none is given)."""

    encoding: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def family_for(self, file_name: str) -> str | None:
        """The family a file-name glob assigns, if any."""
        for pattern, family in self.files.items():
            if fnmatch.fnmatch(file_name.lower(), pattern.lower()):
                return family
        return None

    def header_map(self, family: str, header: list[str]) -> dict[str, str]:
        """Map normalised file headers to contract column names for ``family``."""
        site = {**self.columns.get("*", {}), **self.columns.get(family, {})}
        contract = set(FAMILIES[family].column_names)
        out = {}
        for h in header:
            if h in site:
                out[h] = site[h]
            elif h in contract:
                out[h] = h
            elif h in COLUMN_SYNONYMS and COLUMN_SYNONYMS[h] in contract:
                out[h] = COLUMN_SYNONYMS[h]
        return out


def load_mapping(path: Path | None) -> Mapping:
    """Read a YAML or TOML mapping file; raise UsageProblem with one clear line when it is invalid."""
    if path is None:
        return Mapping()
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else yaml.safe_load(text)
    except FileNotFoundError:
        raise UsageProblem(f"mapping file {path} not found") from None
    except (yaml.YAMLError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageProblem(f"mapping file {path} is not valid YAML/TOML: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise UsageProblem(f"mapping file {path} must hold a mapping with encoding/files/columns/values")
    unknown = set(data) - {"encoding", "files", "columns", "values"}
    if unknown:
        raise UsageProblem(
            f"mapping file {path}: unknown sections {sorted(unknown)}; use encoding/files/columns/values"
        )
    files = {str(k): str(v) for k, v in (data.get("files") or {}).items()}
    for pattern, fam in files.items():
        if fam not in FAMILIES:
            raise UsageProblem(f"mapping file {path}: files.{pattern} names unknown family {fam!r}")
    columns: dict[str, dict[str, str]] = {}
    for fam, renames in (data.get("columns") or {}).items():
        if fam != "*" and fam not in FAMILIES:
            raise UsageProblem(
                f"mapping file {path}: columns.{fam} is not a family (use one of {sorted(FAMILIES)} or *)"
            )
        columns[fam] = {normalise_header(str(k)): str(v).strip().lower() for k, v in (renames or {}).items()}
    values = {
        str(col).lower(): {str(k): str(v) for k, v in (m or {}).items()}
        for col, m in (data.get("values") or {}).items()
    }
    return Mapping(encoding=data.get("encoding"), files=files, columns=columns, values=values)
