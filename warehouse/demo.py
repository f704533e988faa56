"""Synthetic demo extract: realistic, deterministic CSV files for every contract family.

:func:`generate` writes ``encounters.csv``, ``diagnoses.csv``, ``procedures.csv``, ``claims.csv``,
``coding_activity.csv`` and ``coding_audits.csv`` (headers in contract order, ISO dates, money with two
decimals) for three facilities and discharges from FY2024 to FY2026 (2023-10-01 .. 2026-09-30, the
"as of" day of the extract). Nothing here is real patient data: MRNs, dates of birth and ZIP codes are
drawn from seeded random numbers.

Design notes:

* Encounters are generated in chunks of :data:`CHUNK_SIZE`, each from its own seeded generator, and
  appended to the files, so ten million encounters fit in bounded memory. Encounter numbers follow the
  admission date (as a registration system assigns them); the daily admission counts carry a winter
  peak, a weekday effect and a slight growth trend.
* Patients are a pool of about ``0.9 * encounters`` MRNs; each patient's birth date, sex, race, ZIP code,
  home facility and payer are a hash of the seed and the patient number, so a patient looks the same in
  every chunk (about 1.6 encounters per patient).
* The clinical content comes from a curated catalogue of encounter profiles: about ninety MS-DRGs (every
  one valid in the FY2024, FY2025 and FY2026 groupers, with CC/MCC splits and the FY2026 relative weight
  and geometric mean LOS) and outpatient, emergency and observation visit types, each with fitting
  ICD-10-CM principal diagnoses, CC/MCC secondaries, chronic comorbidities, ICD-10-PCS / CPT / HCPCS
  procedures, service line and charges.
* Coding lag, billing, claims (payer-specific denial rates and CARC mixes, appeals, rebills), the coders'
  work log and the coding audits follow from those dates, censored at the extract day, so recent
  discharges form a realistic coding backlog and DNFB.
* ``dirty=True`` adds about 1 % of rows that break one contract rule each (or that use an accepted
  variant such as ``MM/DD/YYYY`` or ``$1,234.50``), interleaved with the clean rows, and writes
  ``dirty_manifest.json`` listing each of them with its file, line and expected rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from warehouse.contract import FAMILIES, FLAG_KINDS

__all__ = ["CHUNK_SIZE", "END", "FACILITIES", "MAX_ENCOUNTERS", "START", "generate"]

#: First and last discharge day of the demo extract (FY2024 .. FY2026); END is the extract's "as of" day.
START = date(2023, 10, 1)
END = date(2026, 9, 30)
#: Encounters generated (and written) per chunk.
CHUNK_SIZE = 100_000
#: Largest extract :func:`generate` makes (patients and newborns must fit in 8-digit MRNs).
MAX_ENCOUNTERS = 50_000_000
#: Facility ids and their share of the encounters.
FACILITIES: tuple[str, ...] = ("FAC01", "FAC02", "FAC03")
_FAC_SHARES = (0.50, 0.35, 0.15)

_EPOCH = date(1970, 1, 1)
_D0 = (START - _EPOCH).days
_D1 = (END - _EPOCH).days
_SECONDS_PER_DAY = 86_400
_MANIFEST = "dirty_manifest.json"
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S"
_OUT_FAMILIES = ("encounters", "diagnoses", "procedures", "claims", "coding_activity", "coding_audits")

# --------------------------------------------------------------------------------------------------
# Catalogue: MS-DRGs (FY2026 Table 5 relative weight, geometric mean LOS)
# --------------------------------------------------------------------------------------------------

# fmt: off
_DRG_FY2026: dict[str, tuple[float, float]] = {
    "004": (13.8514, 22.4), "057": (1.2956, 3.8), "064": (2.0110, 4.4), "065": (1.0103, 2.8),
    "066": (0.6844, 1.9), "069": (0.7988, 2.0), "101": (0.9026, 2.6), "175": (1.3736, 3.8),
    "176": (0.8050, 2.4), "177": (1.5627, 4.4), "178": (0.9760, 3.1), "189": (1.2354, 3.5),
    "190": (1.1077, 3.3), "191": (0.8430, 2.6), "192": (0.6420, 2.1), "193": (1.3144, 3.9),
    "194": (0.8059, 2.8), "195": (0.6285, 2.2), "202": (0.9712, 2.9), "203": (0.6700, 2.2),
    "207": (6.4347, 12.5), "208": (2.7487, 4.9), "266": (6.1284, 2.5), "267": (4.7608, 1.3),
    "252": (3.4883, 5.3), "253": (2.5956, 3.7), "254": (1.7817, 1.8),
    "280": (1.6041, 4.1), "281": (0.9191, 2.3), "282": (0.7231, 1.7), "286": (2.2128, 5.4),
    "287": (1.0701, 2.1), "291": (1.2838, 3.8), "292": (0.8490, 2.9), "293": (0.5660, 2.1),
    "308": (1.2040, 3.4), "309": (0.7357, 2.3), "310": (0.5661, 1.8), "312": (0.8716, 2.4),
    "314": (2.0852, 4.8), "321": (2.7208, 3.7), "322": (1.7630, 2.0), "329": (4.5965, 9.4),
    "330": (2.3972, 4.8), "331": (1.6829, 2.7), "377": (1.8280, 4.5), "378": (0.9807, 2.9),
    "379": (0.6304, 2.0), "391": (1.2683, 3.8), "392": (0.7796, 2.5), "418": (1.6916, 3.2),
    "419": (1.3658, 2.2), "461": (5.5230, 5.9), "469": (3.0332, 3.3), "470": (1.9289, 1.9),
    "480": (2.9123, 6.1), "481": (2.0945, 4.3), "482": (1.6310, 3.1), "483": (2.7719, 2.0),
    "493": (2.5361, 4.2), "494": (2.0065, 2.8), "552": (0.9613, 2.9), "603": (0.8709, 3.1),
    "637": (1.4367, 3.9), "638": (0.8962, 2.9), "640": (1.3356, 3.6), "641": (0.7782, 2.6),
    "682": (1.4810, 4.3), "683": (0.8758, 3.0), "684": (0.6003, 2.2), "689": (1.1603, 3.8),
    "690": (0.8095, 2.8), "743": (1.2407, 1.5), "785": (0.9578, 2.6), "786": (1.6495, 4.4),
    "787": (1.1168, 3.4), "788": (0.9588, 2.9), "794": (1.4759, 3.4), "795": (0.1998, 3.1),
    "806": (0.7540, 2.4), "807": (0.6742, 2.0), "811": (1.4043, 3.7), "812": (0.9182, 2.7),
    "813": (1.5253, 3.6), "853": (4.9386, 9.3), "871": (1.9425, 4.8), "872": (1.0233, 3.4),
    "884": (1.6089, 4.6), "885": (1.3968, 6.5), "897": (0.8828, 3.3), "917": (1.5684, 3.7),
    "918": (0.8571, 2.4), "947": (1.2694, 3.7), "948": (0.8005, 2.6),
}
# fmt: on

# Relative age weights for the four selection groups 0-17, 18-44, 45-64, 65+.
_ELDER = (0.0, 0.15, 0.6, 1.0)
_ADULT = (0.0, 0.35, 1.0, 1.0)
_YOUNG = (0.1, 1.0, 0.6, 0.15)
_ALL = (0.8, 0.5, 0.7, 1.0)
_OB = (0.0, 1.0, 0.02, 0.0)
_NB = (1.0, 0.0, 0.0, 0.0)

_PATIENT_TYPES = ("inpatient", "outpatient", "emergency", "observation")
_IP, _OP, _ED, _OBS = 0, 1, 2, 3

Slot = tuple[tuple[str, ...], float]


@dataclass(frozen=True)
class _Profile:
    """One kind of encounter: patient type, population, diagnoses, procedures, DRG, costs."""

    key: str
    ptype: int
    weight: float
    ages: tuple[float, float, float, float]
    service_line: str
    pdx: tuple[str, ...]
    extra: tuple[Slot, ...] = ()
    severity: str = "none"  # mcc | cc | ccmcc | opt | none
    procs: tuple[Slot, ...] = ()
    pdx_proc: tuple[str, ...] = ()  # principal procedure paired with each pdx (laterality)
    drg: str = ""
    family: tuple[str, ...] = ()
    n_dx: tuple[int, int] = (1, 3)
    los: float = 0.0
    rel_weight: float = 0.0
    charge: float = 0.0
    female: bool = False
    newborn: bool = False
    tertiary: bool = False
    elective: bool = False
    expire: float = 0.004
    snf: float = 0.08
    irf: float = 0.0
    ama: float = 0.01
    mcc_pool: tuple[str, ...] = ()
    cc_pool: tuple[str, ...] = ()


_N_DX_IP = {"mcc": (8, 15), "cc": (6, 13), "ccmcc": (6, 13), "opt": (4, 11), "none": (3, 9)}


def _ip(
    drg: str,
    weight: float,
    ages: tuple[float, float, float, float],
    sl: str,
    pdx: Sequence[str],
    severity: str,
    family: Sequence[str] = (),
    **kw: Any,
) -> _Profile:
    rel, gm = _DRG_FY2026[drg]
    kw.setdefault("n_dx", _N_DX_IP[severity])
    kw.setdefault("los", gm)
    return _Profile(
        key=f"drg{drg}",
        ptype=_IP,
        weight=weight,
        ages=ages,
        service_line=sl,
        pdx=tuple(pdx),
        severity=severity,
        drg=drg,
        family=tuple(family) or (drg,),
        rel_weight=rel,
        **kw,
    )


def _visit(
    key: str,
    ptype: int,
    weight: float,
    ages: tuple[float, float, float, float],
    sl: str,
    pdx: Sequence[str],
    procs: Sequence[Slot],
    charge: float,
    **kw: Any,
) -> _Profile:
    kw.setdefault("n_dx", {_OP: (1, 5), _ED: (1, 4), _OBS: (3, 8)}[ptype])
    return _Profile(
        key=key,
        ptype=ptype,
        weight=weight,
        ages=ages,
        service_line=sl,
        pdx=tuple(pdx),
        procs=tuple(procs),
        charge=charge,
        **kw,
    )


# fmt: off
_SEPSIS = ("A41.9", "A41.9", "A41.9", "A41.51", "A41.01", "A41.89")
_HF_MCC = ("I50.23", "I50.33", "I50.43", "I11.0", "I13.0")
_HF = ("I11.0", "I50.9", "I50.31", "I50.21")
_PNEU = ("J18.9", "J18.9", "J18.9", "J18.1", "J15.9")
_COPD = ("J44.1", "J44.1", "J44.0")
_STROKE = ("I63.9", "I63.512", "I63.411", "I61.9")
_GIB = ("K92.2", "K92.1", "K25.4", "K57.31")
_GASTRO = ("K52.9", "A08.4", "K29.70", "K21.9")
_AFIB = ("I48.91", "I48.0", "I49.9", "R00.1")
_BOWEL = ("C18.7", "K57.20", "K56.609")
_BOWEL_PCS = ("0DTN0ZZ", "0DTN4ZZ", "0DTK4ZZ")
_JOINT = ("M17.11", "M17.12", "M16.11", "M16.12")
_JOINT_PCS = ("0SRC0J9", "0SRD0J9", "0SR9019", "0SRB019")
_HIPFX = ("S72.001A", "S72.141A", "S72.002A", "S72.142A")
_HIPFX_PCS = ("0QS634Z", "0QS604Z", "0QS734Z", "0QS704Z")
_UTI = ("N39.0", "N39.0", "N10", "N30.00")
_AKI = ("N17.9", "N17.9", "N17.0")
_GA = (("Z3A.39", "Z3A.39", "Z3A.40", "Z3A.38", "Z3A.37"), 1.0)
_LIVEBIRTH = (("Z37.0",), 1.0)
_OB_CC = ("O14.03", "O72.1", "O14.93")
_OB_MCC = ("O14.13",)
_CATH = (("4A023N7",), 0.9)
_CORO = (("B2111ZZ",), 0.8)
_RBC = (("30233N1",), 0.5)
_NO_AKI_MCC = ("J96.01", "G93.41", "E43")
_NO_AKI_CC = ("E87.1", "D62", "I50.32", "J44.1", "E87.20")
_NO_RESP_MCC = ("N17.0", "G93.41", "E43")

_IP_PROFILES: tuple[_Profile, ...] = (
    # Infections
    _ip("871", 60, _ELDER, "General Medicine", _SEPSIS, "mcc", ("871", "872"), extra=((("R65.20",), 0.35),),
        procs=((("02HV33Z",), 0.15), (("30233N1",), 0.08)), expire=0.07, snf=0.2),
    _ip("872", 14, _ELDER, "General Medicine", _SEPSIS, "opt", ("871", "872"), expire=0.015, snf=0.12),
    _ip("853", 3, _ADULT, "Surgery", ("A41.9", "A41.51"), "mcc",
        procs=((("0JBN0ZZ", "0JBL0ZZ", "0KBS0ZZ"), 1.0),),
        expire=0.08, snf=0.3),
    _ip("603", 15, _ALL, "General Medicine", ("L03.115", "L03.116", "L03.90"), "opt"),
    _ip("689", 7, _ELDER, "General Medicine", _UTI, "mcc", ("689", "690"), snf=0.2, mcc_pool=_NO_AKI_MCC),
    _ip("690", 16, _ALL, "General Medicine", _UTI, "opt", ("689", "690"), snf=0.1),
    # Heart
    _ip("291", 30, _ELDER, "Cardiology", _HF_MCC, "mcc", ("291", "292", "293"), expire=0.035, snf=0.15),
    _ip("292", 12, _ELDER, "Cardiology", _HF, "cc", ("291", "292", "293"), snf=0.1,
        cc_pool=(*_NO_AKI_CC[:2], "N17.9")),
    _ip("293", 5, _ELDER, "Cardiology", _HF, "none", ("291", "292", "293")),
    _ip("280", 6, _ADULT, "Cardiology", ("I21.4", "I21.4", "I21.4", "I21.19", "I21.A1"), "mcc",
        ("280", "281", "282"), expire=0.0),
    _ip("281", 3, _ADULT, "Cardiology", ("I21.4", "I21.4", "I21.A1"), "cc", ("280", "281", "282"),
        expire=0.0),
    _ip("282", 2, _ADULT, "Cardiology", ("I21.4", "I21.A1"), "none", ("280", "281", "282"), expire=0.0),
    _ip("286", 3, _ADULT, "Cardiology", ("I25.10", "I20.9"), "mcc", ("286", "287"), procs=(_CATH, _CORO)),
    _ip("287", 4, _ADULT, "Cardiology", ("I25.10", "I20.9", "I25.119"), "opt", ("286", "287"),
        procs=((("4A023N7",), 1.0), _CORO)),
    _ip("308", 4, _ELDER, "Cardiology", _AFIB, "mcc", ("308", "309", "310")),
    _ip("309", 8, _ELDER, "Cardiology", _AFIB, "cc", ("308", "309", "310"),
        cc_pool=("N17.9", "E87.1", "J44.1", "D62")),
    _ip("310", 5, _ELDER, "Cardiology", _AFIB, "none", ("308", "309", "310")),
    _ip("312", 10, _ELDER, "Cardiology", ("R55",), "opt"),
    _ip("314", 5, _ELDER, "Cardiology", ("I95.9",), "mcc"),
    _ip("321", 10, _ADULT, "Cardiology", ("I21.4", "I25.10", "I21.19"), "mcc", ("321", "322"),
        procs=((("027034Z", "027034Z", "027034Z", "02703DZ"), 1.0), _CATH, _CORO), snf=0.05),
    _ip("322", 8, _ADULT, "Cardiology", ("I25.10", "I21.4", "I20.9"), "opt", ("321", "322"),
        procs=((("027034Z", "027034Z", "02703DZ"), 1.0), _CATH, _CORO), elective=True, snf=0.02),
    _ip("266", 1, (0.0, 0.0, 0.2, 1.5), "Cardiothoracic Surgery", ("I35.0",), "mcc", ("266", "267"),
        procs=((("02RF38Z",), 1.0), _CATH, _CORO), tertiary=True, expire=0.02, snf=0.15),
    _ip("267", 3, (0.0, 0.0, 0.2, 1.5), "Cardiothoracic Surgery", ("I35.0",), "opt", ("266", "267"),
        procs=((("02RF38Z",), 1.0), _CATH), tertiary=True, elective=True, snf=0.05),
    _ip("252", 2, _ELDER, "Vascular Surgery", ("I70.222",), "mcc", ("252", "253", "254"),
        procs=((("047K3DZ",), 1.0),)),
    _ip("253", 2, _ELDER, "Vascular Surgery", ("I70.222",), "cc", ("252", "253", "254"),
        procs=((("047K3DZ",), 1.0),)),
    _ip("254", 2, _ELDER, "Vascular Surgery", ("I70.222",), "none", ("252", "253", "254"),
        procs=((("047K3DZ",), 1.0),), elective=True),
    # Lungs
    _ip("193", 10, (0.3, 0.3, 0.7, 1.0), "Pulmonology", _PNEU, "mcc", ("193", "194", "195"), expire=0.03),
    _ip("194", 16, (0.8, 0.4, 0.7, 1.0), "Pulmonology", _PNEU, "cc", ("193", "194", "195")),
    _ip("195", 6, (1.2, 0.6, 0.6, 0.6), "Pulmonology", _PNEU, "none", ("193", "194", "195")),
    _ip("177", 10, _ELDER, "Pulmonology", ("J69.0", "U07.1"), "mcc", ("177", "178"), expire=0.05,
        mcc_pool=_NO_RESP_MCC),
    _ip("178", 6, _ELDER, "Pulmonology", ("J69.0", "U07.1"), "cc", ("177", "178")),
    _ip("189", 14, _ELDER, "Pulmonology", ("J96.01", "J96.21", "J81.0"), "opt", expire=0.06),
    _ip("190", 12, (0.0, 0.05, 0.6, 1.0), "Pulmonology", _COPD, "mcc", ("190", "191", "192")),
    _ip("191", 7, (0.0, 0.05, 0.6, 1.0), "Pulmonology", _COPD, "cc", ("190", "191", "192")),
    _ip("192", 5, (0.0, 0.05, 0.6, 1.0), "Pulmonology", _COPD, "none", ("190", "191", "192")),
    _ip("202", 4, (1.5, 0.5, 0.4, 0.4), "Pulmonology", ("J45.901", "J20.9"), "ccmcc", ("202", "203")),
    _ip("203", 4, (2.0, 0.5, 0.3, 0.3), "Pulmonology", ("J45.901", "J20.9"), "none", ("202", "203")),
    _ip("175", 6, _ADULT, "Pulmonology", ("I26.99",), "mcc", ("175", "176")),
    _ip("176", 4, _ADULT, "Pulmonology", ("I26.99",), "opt", ("175", "176")),
    _ip("207", 3, _ELDER, "Pulmonology", ("J96.01", "J69.0", "J18.9"), "mcc", ("207", "208"),
        procs=((("5A1955Z",), 1.0), (("0BH17EZ",), 0.7)), tertiary=True, expire=0.25, snf=0.3,
        mcc_pool=_NO_RESP_MCC),
    _ip("208", 6, _ELDER, "Pulmonology", ("J96.01", "J69.0", "J18.9", "J44.1"), "mcc", ("207", "208"),
        procs=((("5A1945Z", "5A1935Z"), 1.0), (("0BH17EZ",), 0.7)), expire=0.12, snf=0.2,
        mcc_pool=_NO_RESP_MCC),
    _ip("004", 2, _ELDER, "Pulmonology", ("J96.01", "J96.21", "J69.0"), "mcc",
        procs=((("0B110F4",), 1.0), (("5A1955Z",), 1.0)), tertiary=True, expire=0.15, snf=0.45,
        mcc_pool=_NO_RESP_MCC),
    # Brain
    _ip("064", 8, _ELDER, "Neurology", _STROKE, "mcc", ("064", "065", "066"), expire=0.08, snf=0.25,
        irf=0.15),
    _ip("065", 12, _ELDER, "Neurology", _STROKE, "cc", ("064", "065", "066"), snf=0.18, irf=0.12),
    _ip("066", 5, _ELDER, "Neurology", _STROKE, "none", ("064", "065", "066"), snf=0.1, irf=0.08),
    _ip("069", 5, _ELDER, "Neurology", ("G45.9",), "opt"),
    _ip("057", 3, (0.0, 0.0, 0.2, 1.0), "Neurology", ("G30.9", "G30.1"), "opt", snf=0.3),
    _ip("101", 6, (1.0, 1.0, 0.6, 0.5), "Neurology", ("G40.909", "R56.9"), "opt"),
    # Digestive
    _ip("377", 6, _ADULT, "Gastroenterology", _GIB, "mcc", ("377", "378", "379"),
        procs=((("0DJ08ZZ",), 0.6), _RBC), expire=0.03),
    _ip("378", 12, _ADULT, "Gastroenterology", _GIB, "cc", ("377", "378", "379"),
        procs=((("0DJ08ZZ",), 0.6), _RBC)),
    _ip("379", 4, _ADULT, "Gastroenterology", _GIB, "none", ("377", "378", "379"),
        procs=((("0DJ08ZZ",), 0.5),)),
    _ip("391", 6, (0.3, 0.6, 0.8, 1.0), "Gastroenterology", _GASTRO, "mcc", ("391", "392")),
    _ip("392", 18, (1.0, 0.8, 0.8, 1.0), "Gastroenterology", _GASTRO, "opt", ("391", "392")),
    _ip("329", 4, _ADULT, "Surgery", _BOWEL, "mcc", ("329", "330", "331"), procs=((_BOWEL_PCS, 1.0),),
        expire=0.05, snf=0.25),
    _ip("330", 5, _ADULT, "Surgery", _BOWEL, "cc", ("329", "330", "331"), procs=((_BOWEL_PCS, 1.0),)),
    _ip("331", 3, _ADULT, "Surgery", _BOWEL, "none", ("329", "330", "331"), procs=((_BOWEL_PCS, 1.0),),
        elective=True),
    _ip("418", 4, (0.05, 0.8, 0.9, 0.7), "Surgery", ("K80.10", "K81.0"), "cc", ("418", "419"),
        procs=((("0FT44ZZ",), 1.0),)),
    _ip("419", 6, (0.05, 0.8, 0.9, 0.7), "Surgery", ("K80.10", "K81.0"), "none", ("418", "419"),
        procs=((("0FT44ZZ",), 1.0),)),
    # Bones and joints
    _ip("470", 35, (0.0, 0.05, 1.0, 1.1), "Orthopedics", _JOINT, "opt", ("469", "470"), pdx_proc=_JOINT_PCS,
        elective=True, expire=0.0005, snf=0.1),
    _ip("469", 3, _ELDER, "Orthopedics", _JOINT, "mcc", ("469", "470"), pdx_proc=_JOINT_PCS, snf=0.35),
    _ip("461", 1, _ADULT, "Orthopedics", ("M17.0",), "mcc", procs=((("0SRC0J9",), 1.0), (("0SRD0J9",), 1.0)),
        snf=0.3),
    _ip("480", 3, (0.0, 0.0, 0.2, 1.5), "Orthopedics", _HIPFX, "mcc", ("480", "481", "482"),
        pdx_proc=_HIPFX_PCS,
        expire=0.04, snf=0.55, irf=0.1),
    _ip("481", 5, (0.0, 0.0, 0.2, 1.5), "Orthopedics", _HIPFX, "cc", ("480", "481", "482"),
        pdx_proc=_HIPFX_PCS,
        snf=0.5, irf=0.1),
    _ip("482", 3, (0.0, 0.0, 0.2, 1.5), "Orthopedics", _HIPFX, "none", ("480", "481", "482"),
        pdx_proc=_HIPFX_PCS,
        snf=0.45, irf=0.1),
    _ip("483", 3, (0.0, 0.05, 0.8, 1.0), "Orthopedics", ("M19.011",), "opt", procs=((("0RRJ0JZ",), 1.0),),
        elective=True),
    _ip("493", 2, _ADULT, "Orthopedics", ("S82.851A",), "cc", ("493", "494"), procs=((("0QSG04Z",), 1.0),)),
    _ip("494", 3, _ADULT, "Orthopedics", ("S82.851A",), "none", ("493", "494"), procs=((("0QSG04Z",), 1.0),)),
    _ip("552", 4, _ADULT, "Orthopedics", ("M54.50", "M48.061", "M51.26"), "opt"),
    # Metabolic, kidney, blood
    _ip("637", 4, (0.2, 0.6, 0.8, 0.8), "General Medicine", ("E11.10", "E10.10", "E11.65"), "mcc",
        ("637", "638")),
    _ip("638", 8, (0.2, 0.6, 0.8, 0.8), "General Medicine", ("E11.10", "E10.10", "E11.65"), "cc",
        ("637", "638")),
    _ip("640", 5, _ELDER, "General Medicine", ("E87.1", "E86.0"), "mcc", ("640", "641")),
    _ip("641", 12, (0.8, 0.5, 0.7, 1.0), "General Medicine", ("E86.0", "E87.1", "E87.6"), "opt",
        ("640", "641")),
    _ip("682", 9, _ELDER, "Nephrology", _AKI, "mcc", ("682", "683", "684"), procs=((("5A1D70Z",), 0.15),),
        mcc_pool=_NO_AKI_MCC, expire=0.03),
    _ip("683", 16, _ELDER, "Nephrology", _AKI, "cc", ("682", "683", "684"), cc_pool=_NO_AKI_CC),
    _ip("684", 4, _ELDER, "Nephrology", _AKI, "none", ("682", "683", "684")),
    _ip("811", 3, _ELDER, "General Medicine", ("D62", "D50.0", "D64.9"), "mcc", ("811", "812"),
        procs=((("30233N1",), 0.7),)),
    _ip("812", 8, _ELDER, "General Medicine", ("D62", "D50.0", "D64.9"), "opt", ("811", "812"),
        procs=(_RBC,)),
    _ip("813", 3, _ADULT, "General Medicine", ("D69.6", "D68.9"), "opt"),
    # Mental health, substance use, poisoning, symptoms
    _ip("884", 4, (0.0, 0.0, 0.2, 1.2), "Behavioral Health", ("F03.90",), "opt", snf=0.3),
    _ip("885", 10, _YOUNG, "Behavioral Health", ("F20.9", "F25.0", "F31.2", "F33.2"), "opt", snf=0.0),
    _ip("897", 7, _YOUNG, "Behavioral Health", ("F10.239", "F10.230", "F11.23"), "opt", ama=0.0, snf=0.0),
    _ip("917", 4, _YOUNG, "General Medicine", ("T40.2X1A", "T39.1X2A", "T42.4X1A"), "mcc", ("917", "918"),
        expire=0.02),
    _ip("918", 6, _YOUNG, "General Medicine", ("T40.2X1A", "T39.1X2A", "T42.4X1A"), "opt", ("917", "918")),
    _ip("947", 3, _ELDER, "General Medicine", ("R53.1", "R41.82", "R53.81"), "mcc", ("947", "948")),
    _ip("948", 8, _ELDER, "General Medicine", ("R53.1", "R41.82", "R53.81"), "opt", ("947", "948")),
    # Women and newborns
    _ip("807", 40, _OB, "Obstetrics", ("O80",), "none", ("806", "807"), extra=(_GA, _LIVEBIRTH),
        procs=((("10E0XZZ",), 1.0),), female=True, n_dx=(3, 4), los=1.9, expire=0.0, snf=0.0),
    _ip("806", 10, _OB, "Obstetrics", ("O48.0", "O70.1"), "cc", ("806", "807"),
        extra=(_GA, _LIVEBIRTH), procs=((("10E0XZZ",), 1.0),), female=True, n_dx=(4, 6),
        cc_pool=_OB_CC, los=2.2, expire=0.0, snf=0.0),
    _ip("788", 12, _OB, "Obstetrics", ("O34.211", "O34.211", "O32.1XX0", "O48.0"), "none",
        ("786", "787", "788"),
        extra=(_GA, _LIVEBIRTH), procs=((("10D00Z1",), 1.0),), female=True, n_dx=(3, 5), los=2.8,
        expire=0.0, snf=0.0),
    _ip("787", 5, _OB, "Obstetrics", ("O34.211", "O32.1XX0", "O48.0"), "cc", ("786", "787", "788"),
        extra=(_GA, _LIVEBIRTH), procs=((("10D00Z1",), 1.0),), female=True, n_dx=(4, 6), cc_pool=_OB_CC,
        los=3.2, expire=0.0, snf=0.0),
    _ip("786", 2, _OB, "Obstetrics", ("O34.211", "O32.1XX0"), "mcc", ("786", "787", "788"),
        extra=(_GA, _LIVEBIRTH), procs=((("10D00Z1",), 1.0),), female=True, n_dx=(5, 8), mcc_pool=_OB_MCC,
        cc_pool=_OB_CC, los=4.2, expire=0.0, snf=0.0),
    _ip("785", 3, _OB, "Obstetrics", ("O34.211",), "none", extra=(_GA, _LIVEBIRTH),
        procs=((("10D00Z1",), 1.0), (("0UL70ZZ",), 1.0)), female=True, n_dx=(3, 5), los=2.8, expire=0.0,
        snf=0.0),
    _ip("743", 4, (0.0, 0.8, 0.7, 0.1), "Gynecology", ("D25.9",), "none",
        procs=((("0UT90ZZ", "0UT94ZZ"), 1.0),),
        female=True, elective=True, expire=0.0, snf=0.0),
    _ip("795", 120, _NB, "Newborn", ("Z38.00", "Z38.00", "Z38.01"), "none", ("794", "795"),
        procs=((("3E0234Z",), 0.8),), newborn=True, n_dx=(1, 1), los=1.8, expire=0.0, snf=0.0, ama=0.0),
    _ip("794", 20, _NB, "Newborn", ("Z38.00", "Z38.00", "Z38.01"), "none", ("794", "795"),
        extra=((("P22.1", "P22.1", "P59.0"), 1.0),), procs=((("3E0234Z",), 0.8),), newborn=True, n_dx=(2, 3),
        los=3.0, expire=0.0, snf=0.0, ama=0.0),
)

_EM_ED = ("99283", "99284", "99284", "99285")
_LABS = ((("36415",), 0.9), (("85025",), 0.8), (("80053",), 0.7))

_VISIT_PROFILES: tuple[_Profile, ...] = (
    # Emergency department
    _visit("ed_chest_pain", _ED, 14, (0.1, 1.0, 1.5, 1.3), "Emergency", ("R07.9", "R07.89"),
           ((("99284", "99285"), 1.0), (("93005",), 0.95), (("71046",), 0.8), (("84484",), 0.9), *_LABS),
            3800),
    _visit("ed_abdominal_pain", _ED, 14, (0.6, 1.5, 1.0, 0.8), "Emergency", ("R10.9", "R10.31", "R10.13"),
           ((_EM_ED, 1.0), (("74177",), 0.5), (("J2405",), 0.5), *_LABS), 4200),
    _visit("ed_laceration", _ED, 7, (1.0, 1.0, 0.6, 0.4), "Emergency", ("S01.81XA", "S61.411A"),
           ((("99282", "99283"), 1.0), (("12001",), 0.9)), 1700),
    _visit("ed_ankle_sprain", _ED, 6, (1.0, 1.0, 0.5, 0.2), "Emergency", ("S93.401A",),
           ((("99282", "99283"), 1.0), (("73610",), 0.85)), 1600),
    _visit("ed_uri", _ED, 12, (2.5, 0.8, 0.4, 0.3), "Emergency", ("J06.9", "J02.9"),
           ((("99281", "99282", "99282", "99283"), 1.0), (("87880",), 0.4), (("87635",), 0.4)), 1600),
    _visit("ed_headache", _ED, 5, (0.5, 1.0, 0.6, 0.3), "Emergency", ("R51.9",),
           ((("99283", "99284"), 1.0), (("70450",), 0.4), (("J1885",), 0.5), (("96374",), 0.4)), 2900),
    _visit("ed_back_pain", _ED, 6, (0.1, 1.0, 1.0, 0.6), "Emergency", ("M54.50",),
           ((("99283", "99283", "99284"), 1.0), (("J1885",), 0.6)), 1900),
    _visit("ed_uti", _ED, 5, (0.4, 0.8, 0.6, 1.0), "Emergency", ("N39.0",),
           ((("99283", "99284"), 1.0), (("81003",), 0.9), (("J0696",), 0.4), (("96374",), 0.3)), 2300),
    _visit("ed_asthma", _ED, 4, (1.2, 0.4, 0.3, 0.2), "Emergency", ("J45.901",),
           ((("99283", "99284"), 1.0), (("94640",), 0.9), (("J1100",), 0.7)), 2400),
    _visit("ed_syncope", _ED, 4, (0.2, 0.4, 0.6, 1.0), "Emergency", ("R55",),
           ((("99284", "99285"), 1.0), (("93005",), 0.95), (("70450",), 0.3), *_LABS), 3900),
    _visit("ed_alcohol", _ED, 3, (0.05, 0.8, 0.5, 0.1), "Emergency", ("F10.129",),
           ((("99283", "99284"), 1.0), (("80053",), 0.5), (("96360",), 0.4)), 2600),
    _visit("ed_covid", _ED, 4, (0.6, 0.5, 0.5, 0.6), "Emergency", ("U07.1",),
           ((("99283", "99283", "99284"), 1.0), (("87635",), 0.95), (("71046",), 0.4)), 2200),
    _visit("ed_fever", _ED, 5, (2.0, 0.1, 0.1, 0.2), "Emergency", ("R50.9",),
           ((("99282", "99283"), 1.0), (("87880",), 0.3)), 1600),
    _visit("ed_wrist_fracture", _ED, 3, (0.8, 0.3, 0.4, 0.8), "Emergency", ("S52.501A",),
           ((("99283", "99284"), 1.0), (("73110",), 0.95), (("25600",), 0.5)), 3300),
    _visit("ed_dizziness", _ED, 3, (0.05, 0.3, 0.5, 0.9), "Emergency", ("R42",),
           ((("99283", "99284"), 1.0), (("70450",), 0.4), (("93005",), 0.6)), 2700),
    _visit("ed_fall", _ED, 5, (0.3, 0.3, 0.4, 1.2), "Emergency", ("S00.83XA",),
           ((("99283", "99284"), 1.0), (("70450",), 0.7)), 2800, extra=((("W19.XXXA",), 0.7),)),
    _visit("ed_otitis", _ED, 3, (2.0, 0.1, 0.05, 0.02), "Emergency", ("H66.90", "H66.91"),
           ((("99282", "99283"), 1.0),), 1500),
    # Observation
    _visit("obs_chest_pain", _OBS, 10, (0.02, 0.5, 1.2, 1.2), "Cardiology", ("R07.9", "R07.89"),
           ((("G0378",), 1.0), (("99284", "99285"), 0.9), (("93005",), 1.0), (("84484",), 1.0),
            (("71046",), 0.8),
            (("78452",), 0.3)), 9000),
    _visit("obs_syncope", _OBS, 5, (0.1, 0.3, 0.7, 1.3), "General Medicine", ("R55",),
           ((("G0378",), 1.0), (("93005",), 1.0), (("70450",), 0.4), (("93306",), 0.3)), 8500),
    _visit("obs_afib", _OBS, 4, (0.0, 0.2, 0.8, 1.5), "Cardiology", ("I48.91", "I48.0"),
           ((("G0378",), 1.0), (("93005",), 1.0), (("93306",), 0.3)), 8000),
    _visit("obs_dehydration", _OBS, 4, (0.6, 0.6, 0.6, 1.0), "General Medicine", ("E86.0", "K52.9"),
           ((("G0378",), 1.0), (("96360",), 1.0), (("80053",), 0.8)), 6000),
    _visit("obs_abdominal_pain", _OBS, 4, (0.2, 1.0, 1.0, 0.8), "Surgery", ("R10.9", "R10.31"),
           ((("G0378",), 1.0), (("74177",), 0.8), (("80053",), 0.8)), 7500),
    _visit("obs_tia", _OBS, 3, (0.0, 0.1, 0.6, 1.5), "Neurology", ("G45.9",),
           ((("G0378",), 1.0), (("70450",), 0.9), (("70551",), 0.4), (("93880",), 0.5)), 10500),
    _visit("obs_asthma", _OBS, 2, (0.8, 0.5, 0.3, 0.1), "Pulmonology", ("J45.901",),
           ((("G0378",), 1.0), (("94640",), 1.0), (("J1100",), 0.7)), 5500),
    _visit("obs_copd", _OBS, 3, (0.0, 0.05, 0.6, 1.2), "Pulmonology", ("J44.1",),
           ((("G0378",), 1.0), (("94640",), 1.0), (("71046",), 0.8)), 7000),
    # Outpatient
    _visit("op_screening_colonoscopy", _OP, 8, (0.0, 0.05, 1.3, 1.0), "Gastroenterology", ("Z12.11",),
           ((("G0121", "45378", "45380"), 1.0),), 3200, extra=((("K63.5", "D12.5"), 0.35),)),
    _visit("op_egd", _OP, 4, (0.03, 0.5, 1.0, 0.8), "Gastroenterology", ("K21.9", "R10.13", "K29.70"),
           ((("43239", "43235"), 1.0),), 2800),
    _visit("op_cataract", _OP, 4, (0.0, 0.0, 0.3, 1.5), "Ophthalmology", ("H25.11", "H25.12"),
           ((("66984",), 1.0),), 4500),
    _visit("op_mammogram", _OP, 8, (0.0, 0.3, 1.2, 0.8), "Radiology", ("Z12.31",),
           ((("77067",), 1.0), (("77063",), 0.6)), 450, female=True),
    _visit("op_chemo_breast", _OP, 3, (0.0, 0.2, 1.0, 1.0), "Oncology", ("Z51.11",),
           ((("96413",), 1.0), (("96415",), 0.6), (("J9355",), 0.5), (("J2405",), 0.8)), 9000,
           extra=((("C50.911",), 1.0),), female=True),
    _visit("op_chemo", _OP, 4, (0.02, 0.2, 1.0, 1.0), "Oncology", ("Z51.11",),
           ((("96413",), 1.0), (("96415",), 0.6), (("J2405",), 0.8)), 8000,
            extra=((("C34.90", "C18.7"), 1.0),)),
    _visit("op_dialysis", _OP, 6, (0.0, 0.15, 0.8, 1.0), "Nephrology", ("N18.6",),
           ((("90935",), 1.0),), 1800, extra=((("Z99.2",), 0.9),)),
    _visit("op_physical_therapy", _OP, 10, (0.1, 0.6, 1.0, 1.0), "Rehabilitation",
           ("M54.50", "M17.11", "M25.511"),
           ((("97110",), 1.0), (("97161",), 0.3), (("97140",), 0.5)), 450),
    _visit("op_labs", _OP, 16, (0.05, 0.5, 1.5, 1.5), "General Medicine", ("E11.9", "I10", "E78.5"),
           ((("36415",), 1.0), (("80053",), 0.7), (("83036",), 0.6), (("80061",), 0.5), (("85025",), 0.5)),
            350),
    _visit("op_echo", _OP, 5, (0.05, 0.2, 0.8, 1.3), "Cardiology", ("R01.1", "I50.9", "I35.0"),
           ((("93306",), 1.0),), 2500),
    _visit("op_knee_arthroscopy", _OP, 2, (0.05, 0.8, 0.8, 0.2), "Orthopedics", ("M23.221",),
           ((("29881",), 1.0),), 9000),
    _visit("op_preop", _OP, 6, (0.1, 0.5, 1.0, 1.0), "Surgery", ("Z01.818",),
           ((("G0463",), 1.0), (("93000",), 0.6), (("71046",), 0.4), (("80048",), 0.5)), 600),
    _visit("op_clinic", _OP, 12, (0.0, 0.3, 1.0, 1.3), "General Medicine", ("I10", "E11.9", "J44.9", "I50.9"),
           ((("G0463",), 1.0),), 300),
    _visit("op_well_child", _OP, 6, (3.0, 0.0, 0.0, 0.0), "Pediatrics", ("Z00.129", "Z00.121"),
           ((("G0463",), 1.0), (("90460",), 0.6), (("90686",), 0.4)), 350, extra=((("Z23",), 0.7),)),
    _visit("op_peds_clinic", _OP, 4, (2.0, 0.1, 0.0, 0.0), "Pediatrics", ("H66.90", "J06.9"),
           ((("G0463",), 1.0),), 300),
    _visit("op_prenatal", _OP, 5, (0.03, 1.0, 0.03, 0.0), "Obstetrics", ("Z34.83", "Z34.93"),
           ((("G0463",), 1.0), (("76815",), 0.6)), 600, extra=((("Z3A.28", "Z3A.32", "Z3A.37"), 1.0),),
            female=True),
    _visit("op_chest_xray", _OP, 5, (0.5, 0.7, 0.8, 1.0), "Pulmonology", ("R05.9", "R06.02"),
           ((("71046",), 1.0),), 400),
    _visit("op_mri", _OP, 4, (0.05, 0.8, 1.0, 0.8), "Radiology", ("M54.16", "R51.9"),
           ((("72148", "70551"), 1.0),), 2600),
    _visit("op_stress_test", _OP, 3, (0.0, 0.2, 1.0, 1.0), "Cardiology", ("R07.89", "I25.10"),
           ((("78452",), 1.0), (("93017",), 1.0)), 3500),
    _visit("op_sleep_study", _OP, 2, (0.05, 0.5, 1.0, 0.6), "Pulmonology", ("G47.33",),
           ((("95810",), 1.0),), 3000),
)

_PROFILES: tuple[_Profile, ...] = _IP_PROFILES + _VISIT_PROFILES

# Pools of secondary diagnoses.
_MCC_POOL: tuple[tuple[str, float], ...] = (
    ("J96.01", 3.0), ("N17.0", 1.0), ("G93.41", 2.0), ("E43", 1.5), ("L89.154", 0.3), ("I26.99", 0.2),
)
_CC_POOL: tuple[tuple[str, float], ...] = (
    ("N17.9", 3.0), ("E87.1", 3.0), ("D62", 2.0), ("N18.4", 1.0), ("I50.32", 1.0), ("J44.1", 1.5),
    ("E87.20", 1.0), ("I48.19", 1.0), ("N39.0", 1.5), ("E87.0", 0.5), ("J98.11", 0.5),
)
# Chronic (non-CC) secondaries: code, weights for 0-17 / 18-44 / 45-64 / 65+, sex restriction.
_CHRONIC: tuple[tuple[str, tuple[float, float, float, float], str], ...] = (
    ("I10", (0.0, 0.3, 1.0, 1.2), ""), ("E78.5", (0.0, 0.2, 0.8, 1.0), ""),
    ("E11.9", (0.0, 0.15, 0.5, 0.5), ""), ("Z79.4", (0.0, 0.05, 0.2, 0.25), ""),
    ("Z79.84", (0.0, 0.05, 0.3, 0.35), ""), ("Z79.01", (0.0, 0.02, 0.1, 0.35), ""),
    ("Z79.899", (0.1, 0.3, 0.6, 0.7), ""), ("Z87.891", (0.0, 0.1, 0.4, 0.5), ""),
    ("F17.210", (0.0, 0.3, 0.3, 0.1), ""), ("E66.9", (0.1, 0.3, 0.4, 0.2), ""),
    ("I25.10", (0.0, 0.02, 0.3, 0.6), ""), ("K21.9", (0.05, 0.3, 0.5, 0.5), ""),
    ("F32.A", (0.05, 0.3, 0.4, 0.3), ""), ("E03.9", (0.0, 0.05, 0.2, 0.35), ""),
    ("G47.33", (0.0, 0.1, 0.3, 0.25), ""), ("M19.90", (0.0, 0.02, 0.2, 0.35), ""),
    ("D64.9", (0.05, 0.1, 0.2, 0.35), ""), ("E55.9", (0.0, 0.1, 0.2, 0.2), ""),
    ("N18.30", (0.0, 0.0, 0.1, 0.35), ""), ("N18.32", (0.0, 0.0, 0.05, 0.15), ""),
    ("Z96.651", (0.0, 0.0, 0.05, 0.15), ""), ("Z95.5", (0.0, 0.0, 0.1, 0.2), ""),
    ("Z86.73", (0.0, 0.0, 0.05, 0.15), ""), ("Z91.81", (0.0, 0.0, 0.05, 0.3), ""),
    ("F41.9", (0.1, 0.4, 0.3, 0.2), ""), ("N40.0", (0.0, 0.0, 0.15, 0.4), "M"),
    ("Z66", (0.0, 0.0, 0.02, 0.12), ""), ("M81.0", (0.0, 0.0, 0.1, 0.35), "F"),
    ("I48.91", (0.0, 0.0, 0.08, 0.3), ""), ("E87.6", (0.02, 0.05, 0.1, 0.15), ""),
    ("Z79.02", (0.0, 0.0, 0.2, 0.4), ""), ("I25.2", (0.0, 0.0, 0.05, 0.12), ""),
    ("Z95.1", (0.0, 0.0, 0.03, 0.08), ""), ("G89.29", (0.0, 0.1, 0.2, 0.1), ""),
    ("F10.20", (0.0, 0.1, 0.08, 0.03), ""), ("J45.909", (0.6, 0.15, 0.1, 0.05), ""),
    ("F90.9", (0.5, 0.1, 0.0, 0.0), ""), ("J30.9", (0.4, 0.2, 0.1, 0.05), ""),
    ("L20.9", (0.3, 0.05, 0.0, 0.0), ""), ("Z91.010", (0.2, 0.02, 0.0, 0.0), ""),
    ("Z86.718", (0.0, 0.02, 0.05, 0.1), ""), ("E66.01", (0.0, 0.1, 0.15, 0.05), ""),
)
_MAX_CHRONIC = 14
_MAX_DX = 15

# Codes whose clinical "group" must not repeat in one encounter (otherwise the 3-character category).
_GROUPS = {"I10": "HTN", "I11": "HTN", "I12": "HTN", "I13": "HTN", "E10": "DM", "E11": "DM", "I48": "AF",
           "I49": "AF", "I50": "HF", "N18": "CKD", "N17": "AKI", "J44": "COPD", "J45": "COPD", "E66": "OB",
           "Z68": "OB", "D62": "ANEMIA", "D64": "ANEMIA", "D50": "ANEMIA", "F10": "ETOH", "I25": "CAD",
           "I20": "CAD", "I21": "CAD", "Z79": ""}
# fmt: on

# --------------------------------------------------------------------------------------------------
# Demographics, payers, coders
# --------------------------------------------------------------------------------------------------

# Patient age bands at START (years) and their share of patients.
_AGE_BANDS = (
    (0, 18, 0.095),
    (18, 45, 0.22),
    (45, 65, 0.27),
    (65, 75, 0.20),
    (75, 90, 0.203),
    (90, 98, 0.012),
)
# Encounter patient type by selection age group (IP, OP, ED, OBS).
_TYPE_P = np.array(
    [[0.12, 0.30, 0.55, 0.03], [0.15, 0.40, 0.42, 0.03], [0.18, 0.50, 0.27, 0.05], [0.26, 0.48, 0.20, 0.06]]
)
_SEX_P = (0.515, 0.48, 0.002, 0.003)  # F, M, X, U
_SEX_TEXT = (("F", "M", "X", "U"), ("F", "M", "X", "U"), ("Female", "Male", "X", "Unknown"))
_RACE_P = (0.58, 0.17, 0.06, 0.008, 0.004, 0.05, 0.025, 0.07, 0.033)
_RACE_TEXT = (
    (
        "White",
        "Black or African American",
        "Asian",
        "American Indian or Alaska Native",
        "Native Hawaiian or Other Pacific Islander",
        "Other Race",
        "Two or More Races",
        "Unknown",
        "Patient Declined",
    ),
    (
        "WHITE",
        "BLACK",
        "ASIAN",
        "AMERICAN INDIAN",
        "PACIFIC ISLANDER",
        "OTHER",
        "MULTIRACIAL",
        "UNKNOWN",
        "DECLINED",
    ),
    (
        "Caucasian",
        "African American",
        "Asian",
        "Native American",
        "Native Hawaiian/Pacific Islander",
        "Other",
        "Multi-Racial",
        None,
        "Refused",
    ),
)
_ETH_P = (0.16, 0.76, 0.08)
_ETH_TEXT = (
    ("Hispanic or Latino", "Not Hispanic or Latino", "Unknown"),
    ("HISPANIC", "NON-HISPANIC", "UNKNOWN"),
    ("Hispanic", "Not Hispanic", None),
)
# ZIP3 areas around each facility (036 is a Safe Harbor restricted ZIP3 with few patients).
_ZIP3 = (
    (("018", 0.35), ("019", 0.25), ("021", 0.30), ("038", 0.09), ("036", 0.01)),
    (("023", 0.35), ("024", 0.30), ("027", 0.25), ("020", 0.10)),
    (("010", 0.45), ("011", 0.35), ("013", 0.20)),
)
_PTYPE_TEXT = (
    ("inpatient", "outpatient", "emergency", "observation"),
    ("IP", "OP", "ED", "OBS"),
    ("Inpatient", "Outpatient", "Emergency", "Observation"),
)
_FCLASS = ("medicare", "medicaid", "managed_care", "commercial", "self_pay", "other")
_FCLASS_TEXT = (
    ("medicare", "medicaid", "managed_care", "commercial", "self_pay", "other"),
    ("MCR", "MCD", "HMO", "COMM", "SP", "OTHER"),
    ("Medicare", "Medicaid", "Managed Care", "Commercial", "Self Pay", "Other"),
)
# Payer name, financial class index, denial rate, allowed/billed ratio.
_PAYERS = (
    ("Medicare", 0, 0.06, 0.32),
    ("State Medicaid", 1, 0.12, 0.26),
    ("Blue Plan HMO", 2, 0.14, 0.48),
    ("Aetna Medicare Advantage", 2, 0.11, 0.38),
    ("Acme Health PPO", 3, 0.09, 0.58),
    ("United Commercial", 3, 0.09, 0.55),
    ("Self Pay", 4, 0.0, 0.12),
    ("Workers Comp Fund", 5, 0.08, 0.65),
)
_PAYER_P = np.array(
    [
        [0.00, 0.45, 0.15, 0.00, 0.20, 0.15, 0.05, 0.00],
        [0.03, 0.28, 0.15, 0.00, 0.22, 0.18, 0.11, 0.03],
        [0.16, 0.15, 0.15, 0.00, 0.22, 0.20, 0.09, 0.03],
        [0.78, 0.03, 0.00, 0.15, 0.02, 0.01, 0.01, 0.00],
    ]
)
# Denial categories and their CARC codes (group prefix added when written).
_DENIAL_CATS = (
    ("medical_necessity", ("50",)),
    ("authorization", ("197", "197", "15")),
    ("documentation", ("16",)),
    ("timely_filing", ("29",)),
    ("duplicate", ("18",)),
    ("eligibility_registration", ("27", "31")),
    ("coding", ("4", "11", "97")),
)
_RARC = {
    "50": "N115",
    "197": "N54",
    "15": "N54",
    "16": "MA130",
    "18": "N522",
    "27": "N30",
    "31": "N30",
    "4": "N519",
    "11": "M76",
    "97": "M15",
    "29": "",
}
# Category mix per payer (rows follow _PAYERS, columns _DENIAL_CATS).
_DENIAL_MIX = np.array(
    [
        [0.30, 0.05, 0.20, 0.07, 0.10, 0.08, 0.20],
        [0.10, 0.20, 0.20, 0.08, 0.05, 0.30, 0.07],
        [0.20, 0.45, 0.12, 0.02, 0.03, 0.08, 0.10],
        [0.30, 0.35, 0.12, 0.03, 0.04, 0.06, 0.10],
        [0.25, 0.20, 0.20, 0.03, 0.05, 0.07, 0.20],
        [0.25, 0.20, 0.20, 0.03, 0.05, 0.07, 0.20],
        [1.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00],
        [0.30, 0.15, 0.25, 0.05, 0.05, 0.10, 0.10],
    ]
)
_OVERTURN = (0.50, 0.38, 0.55, 0.12, 0.20, 0.30, 0.62)  # appeal success by category
_DISPOSITIONS = ("01", "02", "03", "06", "07", "20", "62", "50")
_SERVICE_LINES = tuple(sorted({p.service_line for p in _PROFILES}))
_N_CODERS = 30
_CODER_IP = (*range(0, 10), 24, 25, 26)  # C001-C010 inpatient, C025-C027 hybrid
_CODER_OP = (*range(10, 24), 24, 25, 26)  # C011-C024 outpatient/ED/obs, hybrids
_CODER_SENIOR = (27, 28, 29)  # C028-C030 leads: reviews and some inpatient coding
# Staffing changes that drive the backlog (coder index, first day, last day).
_CODER_WINDOWS = {
    9: (None, date(2024, 8, 15)),
    8: (None, date(2025, 5, 30)),
    25: (date(2024, 11, 1), None),
    26: (date(2025, 9, 2), None),
    23: (date(2024, 2, 5), None),
}
# Coding-lag multiplier per fiscal month 0..35 (holidays, two vacancies, an EHR upgrade at the end).
# fmt: off
_LAG_FACTOR = np.array([
    1.0, 1.0, 1.3, 1.2, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.3,     # FY2024 (Oct .. Sep)
    1.4, 1.35, 1.3, 1.3, 1.0, 1.0, 1.0, 1.0, 1.0, 1.2, 1.6, 2.0,    # FY2025: a vacancy from the summer
    2.1, 1.8, 1.4, 1.2, 1.0, 1.0, 1.0, 1.0, 1.0, 1.15, 1.3, 1.35,   # FY2026: EHR upgrade at the end
])
# fmt: on

# --------------------------------------------------------------------------------------------------
# Compiled catalogue (numpy tables)
# --------------------------------------------------------------------------------------------------


def _group_of(code: str) -> str:
    return _GROUPS.get(code[:3], code[:3]) or code


@dataclass
class _Tables:
    """The catalogue as integer tables, built once per process."""

    codes: list[str] = field(default_factory=list)
    code_ix: dict[str, int] = field(default_factory=dict)

    def ix(self, code: str) -> int:
        """Index of ``code`` in :attr:`codes`, adding it when new."""
        if code not in self.code_ix:
            self.code_ix[code] = len(self.codes)
            self.codes.append(code)
        return self.code_ix[code]


def _pad(rows: list[list[int]], fill: int = -1) -> np.ndarray:
    width = max([len(r) for r in rows] + [1])
    out = np.full((len(rows), width), fill, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def _build_tables() -> dict[str, Any]:
    dx = _Tables()
    px = _Tables()
    prof = _PROFILES
    n = len(prof)
    t: dict[str, Any] = {"n_prof": n}
    t["ptype"] = np.array([p.ptype for p in prof])
    t["newborn"] = np.array([p.newborn for p in prof])
    t["tertiary"] = np.array([p.tertiary for p in prof])
    t["elective"] = np.array([p.elective for p in prof])
    t["los"] = np.array([max(p.los, 0.5) for p in prof])
    t["rel_weight"] = np.array([p.rel_weight for p in prof])
    t["charge"] = np.array([p.charge for p in prof])
    t["sl"] = np.array([_SERVICE_LINES.index(p.service_line) for p in prof])
    t["n_dx"] = np.array([p.n_dx for p in prof])
    drgs = sorted({p.drg for p in prof if p.drg})
    t["drg_codes"] = ["", *drgs]
    t["drg"] = np.array([t["drg_codes"].index(p.drg) for p in prof])
    t["family_alt"] = _pad([[t["drg_codes"].index(d) for d in p.family if d != p.drg] for p in prof])
    t["pdx"] = _pad([[dx.ix(c) for c in p.pdx] for p in prof])
    t["pdx_n"] = np.array([len(p.pdx) for p in prof])
    t["pdx_proc"] = _pad([[px.ix(c) for c in p.pdx_proc] for p in prof])
    # Extra (companion) diagnosis slots.
    n_extra = max(len(p.extra) for p in prof)
    ex_alt = [[[dx.ix(c) for c in s[0]] for s in p.extra] + [[]] * (n_extra - len(p.extra)) for p in prof]
    width = max(len(a) for r in ex_alt for a in r)
    t["extra"] = np.full((n, n_extra, width), -1)
    t["extra_n"] = np.zeros((n, n_extra), dtype=np.int64)
    t["extra_p"] = np.zeros((n, n_extra))
    for i, p in enumerate(prof):
        for s, (alts, pr) in enumerate(p.extra):
            t["extra"][i, s, : len(alts)] = [dx.ix(c) for c in alts]
            t["extra_n"][i, s] = len(alts)
            t["extra_p"][i, s] = pr
    # Severity slots: (pool, probability); pool 1 = MCC, 2 = CC.
    sev_slots = {
        "mcc": ((1, 1.0), (1, 0.3), (2, 0.5)),
        "cc": ((2, 1.0), (2, 0.35), (0, 0.0)),
        "ccmcc": ((2, 1.0), (1, 0.3), (0, 0.0)),
        "opt": ((2, 0.3), (0, 0.0), (0, 0.0)),
        "none": ((0, 0.0), (0, 0.0), (0, 0.0)),
    }
    t["sev_pool"] = np.array([[s[0] for s in sev_slots[p.severity]] for p in prof])
    t["sev_p"] = np.array([[s[1] for s in sev_slots[p.severity]] for p in prof])
    default_mcc = [c for c, _ in _MCC_POOL]
    default_cc = [c for c, _ in _CC_POOL]
    wmap = dict(_MCC_POOL) | dict(_CC_POOL)
    for name, default, attr in (("mcc", default_mcc, "mcc_pool"), ("cc", default_cc, "cc_pool")):
        pools = [list(getattr(p, attr)) or default for p in prof]
        t[name] = _pad([[dx.ix(c) for c in pool] for pool in pools])
        cdf = np.ones(t[name].shape)
        for i, pool in enumerate(pools):
            w = np.array([wmap.get(c, 1.0) for c in pool])
            cdf[i, : len(pool)] = np.cumsum(w) / w.sum()
        t[name + "_cdf"] = cdf
        t[name + "_n"] = np.array([len(pool) for pool in pools])
    # Procedure slots.
    n_slots = max(len(p.procs) for p in prof) + 1
    width = max([len(s[0]) for p in prof for s in p.procs] + [1])
    t["proc"] = np.full((n, n_slots, width), -1)
    t["proc_n"] = np.zeros((n, n_slots), dtype=np.int64)
    t["proc_p"] = np.zeros((n, n_slots))
    for i, p in enumerate(prof):
        slots = list(p.procs)
        if p.pdx_proc:  # slot 0 is filled from pdx_proc; keep a placeholder
            slots = [((p.pdx_proc[0],), 1.0), *slots]
        for s, (alts, pr) in enumerate(slots):
            t["proc"][i, s, : len(alts)] = [px.ix(c) for c in alts]
            t["proc_n"][i, s] = len(alts)
            t["proc_p"][i, s] = pr
    t["has_pdx_proc"] = np.array([bool(p.pdx_proc) for p in prof])
    # Chronic pool, weights per (age group, female) combo.
    chronic_ix = [dx.ix(c) for c, _, _ in _CHRONIC]
    t["chronic"] = np.array(chronic_ix)
    logw = np.full((8, len(_CHRONIC)), -np.inf)
    for j, (_, ages, sex) in enumerate(_CHRONIC):
        for g in range(4):
            for fem in (0, 1):
                w = ages[g] * (0.0 if (sex == "M" and fem) or (sex == "F" and not fem) else 1.0)
                if w > 0:
                    logw[g * 2 + fem, j] = np.log(w)
    t["chronic_logw"] = logw
    # Diagnosis code attributes.
    groups = sorted({_group_of(c) for c in dx.codes})
    t["dx_codes"] = dx.codes
    t["dx_group"] = np.array([groups.index(_group_of(c)) for c in dx.codes])
    t["dx_exempt"] = np.array([c[0] in "ZW" for c in dx.codes])
    t["px_codes"] = px.codes
    t["px_system"] = np.array([_code_system(c) for c in px.codes])
    # Disposition probabilities per (profile, age group).
    disp = np.zeros((n, 4, len(_DISPOSITIONS)))
    for i, p in enumerate(prof):
        for g in range(4):
            if p.ptype == _IP:
                age_snf = (0.0, 0.3, 0.7, 1.3)[g]
                q = {
                    "02": 0.01,
                    "03": p.snf * age_snf,
                    "06": (0.02, 0.06, 0.12, 0.16)[g] * (p.snf > 0),
                    "07": p.ama,
                    "20": p.expire * (0.3, 0.5, 0.8, 1.2)[g],
                    "62": p.irf * (g >= 2),
                    "50": 0.012 * (g == 3) * (p.expire > 0.01),
                }
            elif p.ptype == _ED:
                q = {"02": 0.006, "07": 0.012, "20": 0.0003}
            elif p.ptype == _OBS:
                q = {"02": 0.015, "03": 0.02 * (g == 3), "06": 0.05, "07": 0.015}
            else:
                q = {"07": 0.002}
            row = np.array([q.get(d, 0.0) for d in _DISPOSITIONS])
            row[0] = max(0.0, 1.0 - row.sum())
            disp[i, g] = np.cumsum(row) / row.sum()
    t["disp_cdf"] = disp
    # Profile choice: cumulative probabilities per (patient type, age group, female) combo.
    cdf = np.zeros((4 * 4 * 2, n))
    for ptype in range(4):
        for g in range(4):
            for fem in (0, 1):
                w = np.array(
                    [p.weight * p.ages[g] * (p.ptype == ptype) * (fem or not p.female) for p in prof]
                )
                if w.sum() <= 0:  # pragma: no cover - guarded by the catalogue test
                    raise ValueError(f"no profile for type {ptype}, age group {g}, female {fem}")
                cdf[ptype * 8 + g * 2 + fem] = np.cumsum(w) / w.sum()
    t["prof_cdf"] = cdf
    return t


def _code_system(code: str) -> str:
    if len(code) == 7:
        return "ICD10PCS"
    if code[0].isalpha():
        return "HCPCS"
    return "CPT"


_TABLES: dict[str, Any] | None = None


def _tables() -> dict[str, Any]:
    global _TABLES
    if _TABLES is None:
        _TABLES = _build_tables()
    return _TABLES


# --------------------------------------------------------------------------------------------------
# Random helpers
# --------------------------------------------------------------------------------------------------

_M64 = 0xFFFFFFFFFFFFFFFF


def _splitmix(x: np.ndarray) -> np.ndarray:
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _hash_u(seed: int, idx: np.ndarray, field_no: int) -> np.ndarray:
    """Uniform [0, 1) numbers that depend only on (seed, idx, field_no)."""
    key = np.uint64((seed * 0x100000001B3 + field_no * 0x9E3779B1 + 0x632BE59BD9B4E019) & _M64)
    h = _splitmix(_splitmix(idx.astype(np.uint64) ^ key) + key)
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def _pick(u: np.ndarray, p: Sequence[float] | np.ndarray) -> np.ndarray:
    cdf = np.cumsum(np.asarray(p, dtype=np.float64))
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)


def _pick_rows(u: np.ndarray, cdf_rows: np.ndarray) -> np.ndarray:
    """Row-wise categorical choice: ``cdf_rows`` holds one cumulative distribution per element of u."""
    return np.minimum((u[:, None] >= cdf_rows).sum(axis=1), cdf_rows.shape[1] - 1)


def _compact(mat: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    """Move the non-negative entries of each row to the left, keeping their order (others follow mat)."""
    valid = mat >= 0
    r, c = np.nonzero(valid)  # row-major, so each row's entries keep their order
    pos = (np.cumsum(valid, axis=1) - 1)[r, c]
    out = []
    for m in (mat, *others):
        o = np.full_like(m, -1)
        o[r, pos] = m[r, c]
        out.append(o)
    return tuple(out)


# --------------------------------------------------------------------------------------------------
# Generation context
# --------------------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    seed: int
    n: int
    n_patients: int
    cum: np.ndarray  # cumulative admissions per day
    coder_ip_min: np.ndarray
    coder_op_min: np.ndarray
    coder_acc: np.ndarray
    coder_first: np.ndarray
    coder_last: np.ndarray
    mrn_a: int
    mrn_b: int
    t: dict[str, Any]


def _daily_counts(n: int, rng: np.random.Generator) -> np.ndarray:
    days = np.arange(_D0, _D1 + 1)
    doy = (days - (date(2024, 1, 1) - _EPOCH).days) % 365.25
    season = 1.0 + 0.075 * np.cos(2 * np.pi * (doy - 20) / 365.25)
    weekday = np.array([1.06, 1.04, 1.03, 1.02, 1.01, 0.93, 0.91])[(days + 3) % 7]
    trend = 1.0 + 0.02 * (days - _D0) / 365.25
    noise = np.exp(rng.normal(0.0, 0.03, len(days)))
    w = season * weekday * trend * noise
    expected = n * w / w.sum()
    counts = np.floor(expected).astype(np.int64)
    short = n - counts.sum()
    if short > 0:
        frac_order = np.argsort(-(expected - counts), kind="stable")
        counts[frac_order[:short]] += 1
    return counts


def _make_ctx(n: int, seed: int) -> _Ctx:
    rng = np.random.default_rng([seed, 1])
    cum = np.cumsum(_daily_counts(n, rng))
    ip_min = rng.uniform(25, 50, _N_CODERS)
    op_min = rng.uniform(5, 12, _N_CODERS)
    acc = rng.uniform(0.92, 0.99, _N_CODERS)
    for new in (25, 26):  # new hires: slower and less accurate at first
        ip_min[new] = rng.uniform(42, 50)
        acc[new] = rng.uniform(0.92, 0.94)
    first = np.full(_N_CODERS, -(10**6))
    last = np.full(_N_CODERS, 10**6)
    for c, (a, b) in _CODER_WINDOWS.items():
        if a is not None:
            first[c] = (a - _EPOCH).days
        if b is not None:
            last[c] = (b - _EPOCH).days
    return _Ctx(
        seed=seed,
        n=n,
        n_patients=max(1, round(n * 0.9)),
        cum=cum,
        coder_ip_min=ip_min,
        coder_op_min=op_min,
        coder_acc=acc,
        coder_first=first,
        coder_last=last,
        mrn_a=7_368_787,
        mrn_b=int(rng.integers(0, 10**8)),
        t=_tables(),
    )


# --------------------------------------------------------------------------------------------------
# Patients
# --------------------------------------------------------------------------------------------------


def _patients(ctx: _Ctx, pidx: np.ndarray, birth: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Attributes of patients ``pidx``; ``birth`` (epoch days) is given for newborns."""
    s = ctx.seed
    if birth is None:
        band = _pick(_hash_u(s, pidx, 1), [b[2] for b in _AGE_BANDS])
        lo = np.array([b[0] for b in _AGE_BANDS])[band]
        hi = np.array([b[1] for b in _AGE_BANDS])[band]
        age = lo + _hash_u(s, pidx, 2) * (hi - lo)
        birth = _D0 - np.floor(age * 365.25).astype(np.int64)
        g_start = np.digitize(age, [18, 45, 65])
    else:
        g_start = np.zeros(len(pidx), dtype=np.int64)
    sex = _pick(_hash_u(s, pidx, 3), _SEX_P)
    home = _pick(_hash_u(s, pidx, 4), _FAC_SHARES)
    zip3 = np.zeros(len(pidx), dtype=np.int64)
    u = _hash_u(s, pidx, 5)
    for f, areas in enumerate(_ZIP3):
        m = home == f
        zip3[m] = f * 10 + _pick(u[m], [a[1] for a in areas])
    return {
        "mrn": (pidx.astype(np.int64) * ctx.mrn_a + ctx.mrn_b) % 10**8,
        "birth": birth.astype(np.int64),
        "sex": sex,
        "race": _pick(_hash_u(s, pidx, 6), _RACE_P),
        "eth": _pick(_hash_u(s, pidx, 7), _ETH_P),
        "home": home,
        "zip3": zip3,
        "zip5": np.floor(_hash_u(s, pidx, 8) * 100).astype(np.int64),
        "payer": _pick_rows(_hash_u(s, pidx, 9), np.cumsum(_PAYER_P, axis=1)[g_start]),
    }


# --------------------------------------------------------------------------------------------------
# One chunk
# --------------------------------------------------------------------------------------------------


def _gen_chunk(ctx: _Ctx, c: int, lo: int, hi: int) -> dict[str, pl.DataFrame]:
    t = ctx.t
    rng = np.random.default_rng([ctx.seed, 2, c])
    n = hi - lo
    enc_no = np.arange(lo, hi, dtype=np.int64) + 1
    admit = _D0 + np.searchsorted(ctx.cum, enc_no - 1, side="right")

    # Patients and profile.
    pidx = np.floor(ctx.n_patients * rng.random(n) ** 1.25).astype(np.int64)
    pat = _patients(ctx, pidx)
    age = (admit - pat["birth"]) / 365.25
    g = np.digitize(age, [18, 45, 65])
    female = (pat["sex"] == 0).astype(np.int64)
    ptype = _pick_rows(rng.random(n), np.cumsum(_TYPE_P, axis=1)[g])
    combo = ptype * 8 + g * 2 + female
    prof = np.zeros(n, dtype=np.int64)
    u = rng.random(n)
    for cb in np.unique(combo):
        m = combo == cb
        prof[m] = np.minimum(np.searchsorted(t["prof_cdf"][cb], u[m], side="right"), t["n_prof"] - 1)
    nb = t["newborn"][prof]
    if nb.any():
        new = _patients(ctx, ctx.n_patients + enc_no[nb], birth=admit[nb])
        new["sex"] = np.where(new["sex"] >= 2, 1, new["sex"])
        for k, v in new.items():
            pat[k][nb] = v
        g[nb] = 0
    ptype = t["ptype"][prof]
    is_ip = ptype == _IP

    # Facility, stay, dates.
    fac = np.where(rng.random(n) < 0.88, pat["home"], _pick(rng.random(n), _FAC_SHARES))
    fac[t["tertiary"][prof]] = 0
    gm = t["los"][prof]
    los_ip = np.clip(np.rint(np.exp(np.log(gm) + 0.5 * rng.standard_normal(n))), 1, 90)
    los_ip[(rng.random(n) < 0.02) & ~t["newborn"][prof]] = 0
    los = np.select(
        [is_ip, ptype == _ED, ptype == _OBS],
        [los_ip, rng.random(n) < 0.22, _pick(rng.random(n), (0.12, 0.63, 0.25))],
        default=rng.random(n) < 0.02,
    ).astype(np.int64)
    disch = admit + los
    discharged = disch <= _D1
    month = np.clip((np.clip(disch, _D0, _D1) - _D0) * 36 // (_D1 - _D0 + 1), 0, 35)
    lf = _LAG_FACTOR[month]
    lag = np.select(
        [is_ip, ptype == _OBS],
        [1 + rng.gamma(1.6, 1.4 * lf), 0.5 + rng.gamma(1.5, 1.2 * lf)],
        default=rng.gamma(1.3, 1.0 * lf),
    )
    # A few charts wait weeks for documentation (and a handful are never coded).
    late = rng.random(n) < 0.002
    lag = np.where(late, 20 + rng.gamma(2.0, 25.0, n), np.minimum(lag, 45))
    coded = disch + np.rint(lag).astype(np.int64)
    wd = (coded + 3) % 7  # 0 = Monday
    weekend = (wd >= 5) & (rng.random(n) < 0.92)
    coded += np.where(weekend, 7 - wd + _pick(rng.random(n), (0.5, 0.3, 0.2)), 0)
    coded_ok = discharged & (coded <= _D1) & (rng.random(n) >= 0.0002)
    bill_lag = np.where(
        is_ip,
        _pick(rng.random(n), (0.35, 0.3, 0.15, 0.1, 0.06, 0.04)),
        _pick(rng.random(n), (0.5, 0.3, 0.1, 0.05, 0.03, 0.02)),
    )
    billed = np.where(is_ip, np.maximum(coded + bill_lag, disch + 2), coded + bill_lag)
    # Billing holds (payer edits, missing charges): released weeks later; a handful never are.
    hold = rng.random(n) < 0.004
    billed = np.where(hold, billed + 15 + np.rint(rng.gamma(1.5, 40.0, n)).astype(np.int64), billed)
    billed_ok = coded_ok & (billed <= _D1) & (rng.random(n) >= 0.0003)

    # Money (cents), disposition, provider.
    fy = np.where(
        admit >= (date(2025, 10, 1) - _EPOCH).days,
        2,
        np.where(admit >= (date(2024, 10, 1) - _EPOCH).days, 1, 0),
    )
    price = (1.15, 1.0, 0.88)
    fac_mult = np.array(price)[fac] * (1.0 + 0.04 * fy)
    ip_charge = 25_000 * t["rel_weight"][prof] * np.exp(0.3 * rng.standard_normal(n))
    ip_charge *= ((los + 1) / (gm + 1)) ** 0.6
    op_charge = t["charge"][prof] * np.exp(0.35 * rng.standard_normal(n)) * fac_mult
    op_charge = np.select(
        [ptype == _ED, ptype == _OBS],
        [np.clip(op_charge, 1500, 6000), np.clip(op_charge, 5000, 15000)],
        default=np.clip(op_charge, 300, 12000),
    )
    charges = np.rint(np.where(is_ip, ip_charge * fac_mult, op_charge) * 100).astype(np.int64)
    disp = _pick_rows(rng.random(n), t["disp_cdf"][prof, g])
    sl = t["sl"][prof]
    provider = 1000 * (fac + 1) + 10 * sl + rng.integers(0, 6, n)
    drg = np.where(is_ip & coded_ok, t["drg"][prof], 0)

    frames: dict[str, pl.DataFrame] = {}
    frames["encounters"] = _encounters_frame(
        enc_no,
        pat,
        fac,
        ptype,
        admit,
        disch,
        discharged,
        sl,
        provider,
        drg,
        charges,
        coded,
        coded_ok,
        billed,
        billed_ok,
        disp,
        t,
    )

    # Diagnoses and procedures (coded encounters only).
    rows = np.flatnonzero(coded_ok)
    dx_rows, dx_seq, dx_code, dx_kind, pdx_choice, n_dx = _diagnoses(
        rng, t, prof[rows], g[rows], female[rows]
    )
    eid = _ids("E", enc_no, 9)  # formatted once, gathered for every family
    frames["diagnoses"] = _diagnoses_frame(
        eid.gather(rows), fac[rows], ptype[rows], dx_rows, dx_seq, dx_code, dx_kind, rng, t
    )
    px_rows, px_seq, px_code, px_slot = _procedures(rng, t, prof[rows], pdx_choice)
    r_adm, r_los = admit[rows][px_rows], los[rows][px_rows]
    offset = np.where(
        px_slot == 0,
        np.where(t["elective"][prof[rows]][px_rows], 0, np.minimum(1, r_los)),
        np.floor(rng.random(len(px_rows)) * (r_los + 1)).astype(np.int64),
    )
    offset = np.where(ptype[rows][px_rows] == _IP, offset, 0)
    frames["procedures"] = pl.DataFrame(
        {
            "encounter_id": eid.gather(rows[px_rows]),
            "seq": _small_ints(px_seq),
            "code": pl.Series(t["px_codes"]).gather(px_code),
            "code_system": pl.Series(t["px_system"][px_code]),
            "procedure_date": _dates(r_adm + offset),
        }
    )

    # Coding work log and audits.
    n_codes = n_dx + np.bincount(px_rows, minlength=len(rows))
    coder = _assign_coders(ctx, rng, ptype[rows], coded[rows])
    audits, audit_day, audit_changed = _audits(
        ctx, rng, rows, enc_no, eid, ptype, coded, drg, prof, coder, n_codes
    )
    frames["coding_audits"] = audits
    frames["coding_activity"] = _activity(
        ctx, rng, rows, eid, ptype, disch, coded, coder, n_codes, audit_day, audit_changed
    )
    frames["claims"] = _claims(rng, enc_no, eid, pat["payer"], ptype, fac, billed, billed_ok, charges)
    return frames


def _ids(prefix: str, num: np.ndarray, width: int) -> pl.Series:
    s = pl.Series(num.astype(np.int64)).cast(pl.Utf8).str.zfill(width)
    return (prefix + s) if prefix else s


_SMALL_INTS = pl.Series([str(i) for i in range(100)], dtype=pl.Utf8)


def _small_ints(values: np.ndarray) -> pl.Series:
    return _SMALL_INTS.gather(values)


def _dates(days: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    s = pl.Series(days.astype(np.int32)).cast(pl.Date).cast(pl.Utf8)
    if valid is not None:
        s = pl.select(pl.when(pl.Series(valid)).then(s)).to_series()
    return s


def _money(cents: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    c = pl.Series(cents.astype(np.int64))
    s = (c // 100).cast(pl.Utf8) + "." + (c % 100).cast(pl.Utf8).str.zfill(2)
    if valid is not None:
        s = pl.select(pl.when(pl.Series(valid)).then(s)).to_series()
    return s


def _text(table: Sequence[Sequence[str | None]], fac: np.ndarray, value: np.ndarray) -> pl.Series:
    flat = [v for row in table for v in row]
    return pl.Series(flat, dtype=pl.Utf8).gather(fac * len(table[0]) + value)


def _timestamps(seconds: np.ndarray) -> pl.Series:
    return pl.from_epoch(pl.Series(seconds.astype(np.int64)), time_unit="s").dt.strftime(_TS_FORMAT)


def _encounters_frame(
    enc_no: np.ndarray,
    pat: dict[str, np.ndarray],
    fac: np.ndarray,
    ptype: np.ndarray,
    admit: np.ndarray,
    disch: np.ndarray,
    discharged: np.ndarray,
    sl: np.ndarray,
    provider: np.ndarray,
    drg: np.ndarray,
    charges: np.ndarray,
    coded: np.ndarray,
    coded_ok: np.ndarray,
    billed: np.ndarray,
    billed_ok: np.ndarray,
    disp: np.ndarray,
    t: dict[str, Any],
) -> pl.DataFrame:
    zip3_text = [a[0] for areas in _ZIP3 for a in areas]
    zip3_flat = np.array([f * 10 + j for f, areas in enumerate(_ZIP3) for j in range(len(areas))])
    zip3_pos = np.searchsorted(zip3_flat, pat["zip3"])
    drg_text = pl.Series(t["drg_codes"], dtype=pl.Utf8).gather(drg)
    # FAC02's abstracting system drops leading zeros of the DRG (the contract zero-pads them back).
    drg_text = pl.select(
        pl.when(pl.Series(fac == 1)).then(drg_text.str.strip_chars_start("0")).otherwise(drg_text)
    ).to_series()
    fclass = np.array([p[1] for p in _PAYERS])[pat["payer"]]
    return pl.DataFrame(
        {
            "encounter_id": _ids("E", enc_no, 9),
            "patient_id": _ids("M", pat["mrn"], 8),
            "facility_id": pl.Series(FACILITIES).gather(fac),
            "patient_type": _text(_PTYPE_TEXT, fac, ptype),
            "admit_date": _dates(admit),
            "discharge_date": _dates(disch, discharged),
            "birth_date": _dates(pat["birth"]),
            "sex": _text(_SEX_TEXT, fac, pat["sex"]),
            "race": _text(_RACE_TEXT, fac, pat["race"]),
            "ethnicity": _text(_ETH_TEXT, fac, pat["eth"]),
            "zip_code": pl.Series(zip3_text).gather(zip3_pos) + _ids("", pat["zip5"], 2),
            "primary_payer": pl.Series([p[0] for p in _PAYERS]).gather(pat["payer"]),
            "financial_class": _text(_FCLASS_TEXT, fac, fclass),
            "discharge_disposition": pl.select(
                pl.when(pl.Series(discharged)).then(pl.Series(_DISPOSITIONS).gather(disp))
            ).to_series(),
            "service_line": pl.Series(_SERVICE_LINES).gather(sl),
            "attending_provider_id": _ids("P", provider, 5),
            "ms_drg": pl.select(pl.when(pl.Series(drg > 0)).then(drg_text)).to_series(),
            "total_charges": _money(charges),
            "coded_date": _dates(coded, coded_ok),
            "final_billed_date": _dates(billed, billed_ok),
        }
    )


def _diagnoses(
    rng: np.random.Generator, t: dict[str, Any], prof: np.ndarray, g: np.ndarray, female: np.ndarray
) -> tuple[np.ndarray, ...]:
    m = len(prof)
    # Principal diagnosis and companion codes.
    pdx_choice = np.floor(rng.random(m) * t["pdx_n"][prof]).astype(np.int64)
    cols = [t["pdx"][prof, pdx_choice]]
    kinds = [np.zeros(m, dtype=np.int64)]
    for s in range(t["extra"].shape[1]):
        n_alt = t["extra_n"][prof, s]
        pick = np.floor(rng.random(m) * np.maximum(n_alt, 1)).astype(np.int64)
        code = t["extra"][prof, s, pick]
        cols.append(np.where((rng.random(m) < t["extra_p"][prof, s]) & (n_alt > 0), code, -1))
        kinds.append(np.ones(m, dtype=np.int64))
    # CC / MCC secondaries, avoiding the clinical group of the codes already chosen.
    grp = t["dx_group"]
    for s in range(3):
        pool = t["sev_pool"][prof, s]
        take = rng.random(m) < t["sev_p"][prof, s]
        u = rng.random(m)
        code = np.full(m, -1)
        for pool_id, name in ((1, "mcc"), (2, "cc")):
            sel = take & (pool == pool_id)
            if not sel.any():
                continue
            tab, cdf, cnt = t[name][prof[sel]], t[name + "_cdf"][prof[sel]], t[name + "_n"][prof[sel]]
            k = _pick_rows(u[sel], cdf)
            chosen = np.full(sel.sum(), -1)
            prev = np.stack([c[sel] for c in cols], axis=1)
            prev_grp = np.where(prev >= 0, grp[np.maximum(prev, 0)], -1)
            for attempt in range(4):
                cand = tab[np.arange(len(k)), (k + attempt) % cnt]
                ok = (chosen < 0) & ~(prev_grp == grp[cand][:, None]).any(axis=1)
                chosen = np.where(ok, cand, chosen)
            code[sel] = chosen
        cols.append(code)
        kinds.append(np.full(m, 2))
    pre = np.stack(cols, axis=1)
    kind = np.stack(kinds, axis=1)
    pre, kind = _compact(pre, kind)
    n_pre = (pre >= 0).sum(axis=1)
    # Chronic comorbidities: weighted sampling without replacement (Gumbel top-k).
    lo, hi = t["n_dx"][prof, 0], t["n_dx"][prof, 1]
    hi = np.where((g == 0) & (t["ptype"][prof] != _IP), np.minimum(hi, 3), hi)
    n_dx = lo + rng.binomial(np.maximum(hi - lo, 0), 0.45)
    n_chronic = np.clip(n_dx - n_pre, 0, _MAX_CHRONIC)
    # log(w) - log(E), E ~ Exp(1), is log(w) plus Gumbel noise: sorting it samples without replacement.
    expo = rng.standard_exponential((m, len(t["chronic"])), dtype=np.float32)
    keys = t["chronic_logw"][g * 2 + female].astype(np.float32) - np.log(expo + np.float32(1e-30))
    present = np.zeros((m, grp.max() + 1), dtype=bool)
    r, c = np.nonzero(pre >= 0)
    present[r, grp[pre[r, c]]] = True
    keys[present[:, grp[t["chronic"]]]] = -np.inf
    part = np.argpartition(-keys, _MAX_CHRONIC, axis=1)[:, :_MAX_CHRONIC]
    part_key = np.take_along_axis(keys, part, axis=1)
    order = np.argsort(-part_key, axis=1, kind="stable")
    top = np.take_along_axis(part, order, axis=1)
    top_key = np.take_along_axis(part_key, order, axis=1)
    chronic = np.where(
        (top_key > -np.inf) & (np.arange(_MAX_CHRONIC)[None, :] < n_chronic[:, None]), t["chronic"][top], -1
    )
    allc = np.concatenate([pre, chronic], axis=1)
    allk = np.concatenate([kind, np.full(chronic.shape, 3)], axis=1)
    allc, allk = _compact(allc, allk)
    allc, allk = allc[:, :_MAX_DX], allk[:, :_MAX_DX]
    valid = allc >= 0
    count = valid.sum(axis=1)
    rows = np.repeat(np.arange(m), count)
    seq = np.tile(np.arange(1, _MAX_DX + 1), (m, 1))[valid]
    return rows, seq, allc[valid], allk[valid], pdx_choice, count


def _diagnoses_frame(
    enc_ids: pl.Series,
    fac: np.ndarray,
    ptype: np.ndarray,
    rows: np.ndarray,
    seq: np.ndarray,
    code: np.ndarray,
    kind: np.ndarray,
    rng: np.random.Generator,
    t: dict[str, Any],
) -> pl.DataFrame:
    k = len(rows)
    u = rng.random(k)
    poa = np.where(kind == 2, _pick(u, (0.925, 0.06, 0.01, 0.005)), np.where(u < 0.01, 2, 0))  # Y, N, U, W
    exempt = t["dx_exempt"][code]
    # POA-exempt codes: FAC01 reports "1" (the UB-04 convention), the others leave the field blank.
    poa = np.where(exempt, np.where(fac[rows] == 0, 4, 5), poa)
    poa = np.where(ptype[rows] == _IP, poa, 5)
    return pl.DataFrame(
        {
            "encounter_id": enc_ids.gather(rows),
            "seq": _small_ints(seq),
            "code": pl.Series(t["dx_codes"]).gather(code),
            "poa": pl.Series(["Y", "N", "U", "W", "1", None], dtype=pl.Utf8).gather(poa),
        }
    )


def _procedures(
    rng: np.random.Generator, t: dict[str, Any], prof: np.ndarray, pdx_choice: np.ndarray
) -> tuple[np.ndarray, ...]:
    m = len(prof)
    n_slots = t["proc"].shape[1]
    cols, slots = [], []
    for s in range(n_slots):
        n_alt = t["proc_n"][prof, s]
        pick = np.floor(rng.random(m) * np.maximum(n_alt, 1)).astype(np.int64)
        code = t["proc"][prof, s, pick]
        if s == 0:
            paired = t["pdx_proc"][prof, np.minimum(pdx_choice, t["pdx_proc"].shape[1] - 1)]
            code = np.where(t["has_pdx_proc"][prof], paired, code)
        cols.append(np.where((rng.random(m) < t["proc_p"][prof, s]) & (n_alt > 0), code, -1))
        slots.append(np.full(m, s))
    mat, slot = _compact(np.stack(cols, axis=1), np.stack(slots, axis=1))
    valid = mat >= 0
    count = valid.sum(axis=1)
    rows = np.repeat(np.arange(m), count)
    seq = np.tile(np.arange(1, n_slots + 1), (m, 1))[valid]
    return rows, seq, mat[valid], slot[valid]


def _assign_coders(ctx: _Ctx, rng: np.random.Generator, ptype: np.ndarray, day: np.ndarray) -> np.ndarray:
    m = len(ptype)
    ip_pool = np.array(_CODER_IP + _CODER_SENIOR)
    ip_w = np.array([1.0] * len(_CODER_IP) + [0.25] * len(_CODER_SENIOR))
    op_pool = np.array(_CODER_OP)
    coder = np.zeros(m, dtype=np.int64)
    pending = np.ones(m, dtype=bool)
    for _ in range(6):
        u = rng.random(m)
        cand = np.where(
            ptype == _IP, ip_pool[_pick(u, ip_w)], op_pool[np.floor(u * len(op_pool)).astype(np.int64)]
        )
        active = (ctx.coder_first[cand] <= day) & (day <= ctx.coder_last[cand])
        take = pending & active
        coder[take] = cand[take]
        pending &= ~take
    coder[pending] = np.where(ptype[pending] == _IP, _CODER_SENIOR[0], _CODER_OP[0])
    return coder


def _audits(
    ctx: _Ctx,
    rng: np.random.Generator,
    rows: np.ndarray,
    enc_no: np.ndarray,
    eid: pl.Series,
    ptype: np.ndarray,
    coded: np.ndarray,
    drg: np.ndarray,
    prof: np.ndarray,
    coder: np.ndarray,
    n_codes: np.ndarray,
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    t = ctx.t
    m = len(rows)
    pt = ptype[rows]
    audit_day = coded[rows] + 14 + rng.integers(0, 47, m)
    sel = (rng.random(m) < np.where(pt == _IP, 0.08, 0.04)) & (audit_day <= _D1)
    err = 1.0 - ctx.coder_acc[coder]
    reviewed = np.clip(n_codes, 3, 25)
    changed = rng.binomial(reviewed, err * 0.9)
    orig = drg[rows]
    alt = t["family_alt"][prof[rows]]
    n_alt = (alt > 0).sum(axis=1)
    alt_pick = alt[np.arange(m), np.floor(rng.random(m) * np.maximum(n_alt, 1)).astype(np.int64)]
    drg_change = (orig > 0) & (n_alt > 0) & (rng.random(m) < err * 1.1)
    audited = np.where(drg_change, alt_pick, orig)
    changed = np.where(drg_change, np.maximum(changed, 1), changed)
    s = np.flatnonzero(sel)
    codes = pl.Series(t["drg_codes"], dtype=pl.Utf8)
    has = pl.Series(orig[s] > 0)
    frame = pl.DataFrame(
        {
            "audit_id": _ids("AUD", enc_no[rows][s], 9),
            "encounter_id": eid.gather(rows[s]),
            "coder_id": _ids("C", coder[s] + 1, 3),
            "audit_date": _dates(audit_day[s]),
            "codes_reviewed": _small_ints(reviewed[s]),
            "codes_changed": _small_ints(changed[s]),
            "original_drg": pl.select(pl.when(has).then(codes.gather(orig[s]))).to_series(),
            "audited_drg": pl.select(pl.when(has).then(codes.gather(audited[s]))).to_series(),
        }
    )
    day = np.full(m, -1)
    day[s] = audit_day[s]
    return frame, day, np.where(sel, changed, 0)


def _activity(
    ctx: _Ctx,
    rng: np.random.Generator,
    rows: np.ndarray,
    eid: pl.Series,
    ptype: np.ndarray,
    disch: np.ndarray,
    coded: np.ndarray,
    coder: np.ndarray,
    n_codes: np.ndarray,
    audit_day: np.ndarray,
    audit_changed: np.ndarray,
) -> pl.DataFrame:
    m = len(rows)
    pt = ptype[rows]
    day = coded[rows]
    base = np.where(
        pt == _IP, ctx.coder_ip_min[coder], ctx.coder_op_min[coder] * np.where(pt == _OBS, 1.4, 1.0)
    )
    minutes = np.clip(
        base * np.exp(0.35 * rng.standard_normal(m)) * (np.maximum(n_codes, 1) / 8) ** 0.2, 1.5, 240
    )
    parts = []
    # code
    start = day * _SECONDS_PER_DAY + 7 * 3600 + np.floor(rng.random(m) * 9.5 * 3600).astype(np.int64)
    parts.append((np.arange(m), coder, 0, start, minutes))
    # query (before the final code, after discharge)
    q = np.flatnonzero(rng.random(m) < np.where(pt == _IP, 0.07, 0.01))
    qday = np.maximum(disch[rows][q], day[q] - rng.integers(1, 4, len(q)))
    qstart = qday * _SECONDS_PER_DAY + 8 * 3600 + np.floor(rng.random(len(q)) * 8 * 3600).astype(np.int64)
    parts.append((q, coder[q], 3, qstart, rng.uniform(4, 15, len(q))))
    # review by a lead coder
    r = np.flatnonzero(rng.random(m) < np.select([pt == _IP, pt == _OBS], [0.10, 0.05], 0.015))
    rday = np.minimum(day[r] + rng.integers(0, 2, len(r)), _D1)
    rstart = rday * _SECONDS_PER_DAY + 8 * 3600 + np.floor(rng.random(len(r)) * 8 * 3600).astype(np.int64)
    reviewer = np.array(_CODER_SENIOR)[rng.integers(0, len(_CODER_SENIOR), len(r))]
    rmin = np.where(pt[r] == _IP, rng.uniform(8, 25, len(r)), rng.uniform(3, 8, len(r)))
    parts.append((r, reviewer, 2, rstart, rmin))
    # recode after an audit that changed codes
    rc = np.flatnonzero((audit_day >= 0) & (audit_changed > 0) & (rng.random(m) < 0.8))
    rcday = np.minimum(audit_day[rc] + rng.integers(0, 3, len(rc)), _D1)
    rcstart = rcday * _SECONDS_PER_DAY + 8 * 3600 + np.floor(rng.random(len(rc)) * 8 * 3600).astype(np.int64)
    parts.append((rc, coder[rc], 1, rcstart, rng.uniform(10, 30, len(rc))))

    idx = np.concatenate([p[0] for p in parts])
    who = np.concatenate([p[1] for p in parts])
    act = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
    st = np.concatenate([p[3] for p in parts])
    dur = np.rint(np.concatenate([p[4] for p in parts]) * 60).astype(np.int64)
    end = st + dur
    day_end = (st // _SECONDS_PER_DAY + 1) * _SECONDS_PER_DAY - 1
    over = np.maximum(end - day_end, 0)
    st, end = st - over, end - over
    order = np.lexsort((st, idx))
    idx, who, act, st, end = idx[order], who[order], act[order], st[order], end[order]
    return pl.DataFrame(
        {
            "coder_id": _ids("C", who + 1, 3),
            "encounter_id": eid.gather(rows[idx]),
            "chart_type": pl.Series(_PATIENT_TYPES).gather(pt[idx]),
            "activity": pl.Series(("code", "recode", "review", "query")).gather(act),
            "started_at": _timestamps(st),
            "completed_at": _timestamps(end),
        }
    )


def _claims(
    rng: np.random.Generator,
    enc_no: np.ndarray,
    eid: pl.Series,
    payer: np.ndarray,
    ptype: np.ndarray,
    fac: np.ndarray,
    billed: np.ndarray,
    billed_ok: np.ndarray,
    charges: np.ndarray,
) -> pl.DataFrame:
    rows = np.flatnonzero(billed_ok)
    submitted = billed[rows] + _pick(rng.random(len(rows)), (0.6, 0.3, 0.1))
    keep = submitted <= _D1
    rows, submitted = rows[keep], submitted[keep]
    m = len(rows)
    py = payer[rows]
    amount = charges[rows]
    remit = submitted + 10 + np.rint(rng.gamma(2.0, 6.0, m)).astype(np.int64)
    adjudicated = remit <= _D1
    years = (submitted - _D0) / 365.25
    rate = np.array([p[2] for p in _PAYERS])[py] * np.select(
        [ptype[rows] == _IP, ptype[rows] == _OBS, ptype[rows] == _ED], [1.3, 1.5, 0.8], 1.0
    )
    rate = np.where(py == 2, rate * (1.0 + 0.12 * years), rate)  # the HMO tightens prior authorisation
    denied = adjudicated & (rng.random(m) < rate)
    partial = denied & (rng.random(m) < 0.35)
    full = denied & ~partial
    cat = _pick_rows(rng.random(m), np.cumsum(_DENIAL_MIX, axis=1)[py])
    carc_opts = [c for _, codes in _DENIAL_CATS for c in codes]
    cat_start = np.cumsum([0] + [len(codes) for _, codes in _DENIAL_CATS])[:-1]
    cat_len = np.array([len(codes) for _, codes in _DENIAL_CATS])
    carc = cat_start[cat] + np.floor(rng.random(m) * cat_len[cat]).astype(np.int64)
    ratio = np.array([p[3] for p in _PAYERS])[py] * np.exp(0.08 * rng.standard_normal(m))
    denied_amt = np.where(full, amount, np.where(partial, np.rint(amount * rng.uniform(0.05, 0.4, m)), 0))
    paid = np.where(full, 0, np.rint((amount - denied_amt) * ratio)).astype(np.int64)
    # Appeals and rebills.
    correctable = np.isin(cat, (2, 5, 6))
    rebill = denied & correctable & (rng.random(m) < 0.4)
    appeal_day = remit + rng.integers(7, 46, m)
    appeal_p = 0.35 + 0.3 * (amount > 2_000_000)
    appealed = denied & ~rebill & (rng.random(m) < appeal_p) & (appeal_day <= _D1)
    resolved = appeal_day + rng.integers(30, 121, m)
    overturn = rng.random(m) < np.array(_OVERTURN)[cat]
    outcome = np.where(resolved > _D1, 2, np.where(overturn, 0, 1))  # overturned, upheld, pending
    recovered = np.rint(denied_amt * rng.uniform(0.8, 1.0, m)).astype(np.int64)
    status = np.where(
        ~adjudicated, 3, np.where(full, 1, np.where(partial, 2, 0))
    )  # paid denied partial pending
    # FAC03's remittance feed writes bare CARC numbers, the others a group prefix.
    carc_text = pl.Series(carc_opts).gather(carc)
    carc_text = pl.select(
        pl.when(pl.Series(fac[rows] == 2)).then(carc_text).otherwise("CO-" + carc_text)
    ).to_series()
    rarc_text = pl.Series([_RARC[c] or None for c in carc_opts], dtype=pl.Utf8).gather(carc)
    rarc_on = denied & (rng.random(m) < 0.6)
    first = pl.DataFrame(
        {
            "claim_id": _ids("CLM", enc_no[rows] * 10 + 1, 10),
            "encounter_id": eid.gather(rows),
            "payer": pl.Series([p[0] for p in _PAYERS]).gather(py),
            "submitted_date": _dates(submitted),
            "billed_amount": _money(amount),
            "status": pl.Series(("paid", "denied", "partial", "pending")).gather(status),
            "paid_amount": _money(paid, adjudicated),
            "denial_date": _dates(remit, denied),
            "carc_code": pl.select(pl.when(pl.Series(denied)).then(carc_text)).to_series(),
            "rarc_code": pl.select(pl.when(pl.Series(rarc_on)).then(rarc_text)).to_series(),
            "denied_amount": _money(denied_amt, denied),
            "appeal_date": _dates(appeal_day, appealed),
            "appeal_outcome": pl.select(
                pl.when(pl.Series(appealed)).then(
                    pl.Series(("overturned", "upheld", "pending")).gather(outcome)
                )
            ).to_series(),
            "recovered_amount": _money(recovered, appealed & (outcome == 0)),
        }
    )
    # Corrected claims after a correctable denial.
    rb = np.flatnonzero(rebill)
    sub2 = remit[rb] + rng.integers(5, 26, len(rb))
    keep2 = sub2 <= _D1
    rb, sub2 = rb[keep2], sub2[keep2]
    k = len(rb)
    remit2 = sub2 + 10 + np.rint(rng.gamma(2.0, 6.0, k)).astype(np.int64)
    adj2 = remit2 <= _D1
    den2 = adj2 & (rng.random(k) < 0.15)
    paid2 = np.where(den2, 0, np.rint(amount[rb] * ratio[rb])).astype(np.int64)
    second = pl.DataFrame(
        {
            "claim_id": _ids("CLM", enc_no[rows][rb] * 10 + 2, 10),
            "encounter_id": eid.gather(rows[rb]),
            "payer": pl.Series([p[0] for p in _PAYERS]).gather(py[rb]),
            "submitted_date": _dates(sub2),
            "billed_amount": _money(amount[rb]),
            "status": pl.Series(("paid", "denied", "pending")).gather(
                np.where(~adj2, 2, np.where(den2, 1, 0))
            ),
            "paid_amount": _money(paid2, adj2),
            "denial_date": _dates(remit2, den2),
            "carc_code": pl.select(pl.when(pl.Series(den2)).then(carc_text.gather(rb))).to_series(),
            "rarc_code": pl.Series([None] * k, dtype=pl.Utf8),
            "denied_amount": _money(amount[rb], den2),
            "appeal_date": pl.Series([None] * k, dtype=pl.Utf8),
            "appeal_outcome": pl.Series([None] * k, dtype=pl.Utf8),
            "recovered_amount": pl.Series([None] * k, dtype=pl.Utf8),
        }
    )
    both = pl.concat([first, second])
    order = np.lexsort((np.r_[np.ones(m), np.full(k, 2)], np.r_[np.arange(m), rb]))
    return both[order]


# --------------------------------------------------------------------------------------------------
# Dirty rows
# --------------------------------------------------------------------------------------------------

Mutation = Callable[[pl.DataFrame, pl.Series], pl.DataFrame]


@dataclass(frozen=True)
class _Dirty:
    """One kind of dirty row: the rule it breaks (None = an accepted variant) and how to make it."""

    rule: str | None
    column: str
    mutate: Mutation
    where: pl.Expr | None = None
    note: str = ""
    conflict: bool = False  # shares the template's natural key (duplicate_key)


def _lit(**values: str | None) -> Mutation:
    return lambda df, _ids: df.with_columns(**{k: pl.lit(v, dtype=pl.Utf8) for k, v in values.items()})


def _shift_date(col: str, days: int) -> pl.Expr:
    return (pl.col(col).str.to_date("%Y-%m-%d") + pl.duration(days=days)).dt.strftime("%Y-%m-%d")


def _us_date(col: str) -> pl.Expr:
    return pl.col(col).str.to_date("%Y-%m-%d").dt.strftime("%m/%d/%Y")


def _cents(col: str) -> pl.Expr:
    return pl.col(col).str.replace(".", "", literal=True).cast(pl.Int64)


def _money_expr(cents: pl.Expr) -> pl.Expr:
    return (cents // 100).cast(pl.Utf8) + "." + (cents % 100).cast(pl.Utf8).str.zfill(2)


def _dollars(col: str) -> pl.Expr:
    """``1234567.50`` -> ``$1,234,567.50`` (amounts under a billion)."""
    c = _cents(col)
    whole = c // 100
    mil, tho, uni = whole // 1_000_000, (whole // 1000) % 1000, whole % 1000
    z3 = lambda e: e.cast(pl.Utf8).str.zfill(3)  # noqa: E731
    body = (
        pl.when(mil > 0)
        .then(mil.cast(pl.Utf8) + "," + z3(tho) + "," + z3(uni))
        .when(tho > 0)
        .then(tho.cast(pl.Utf8) + "," + z3(uni))
        .otherwise(uni.cast(pl.Utf8))
    )
    return "$" + body + "." + (c % 100).cast(pl.Utf8).str.zfill(2)


def _shift_ts(col: str, hours: float) -> pl.Expr:
    return (pl.col(col).str.to_datetime(_TS_FORMAT) + pl.duration(minutes=round(hours * 60))).dt.strftime(
        _TS_FORMAT
    )


def _with(**exprs: pl.Expr | str | None) -> Mutation:
    def apply(df: pl.DataFrame, _ids: pl.Series) -> pl.DataFrame:
        return df.with_columns(
            **{k: (v if isinstance(v, pl.Expr) else pl.lit(v, dtype=pl.Utf8)) for k, v in exprs.items()}
        )

    return apply


def _orphan(df: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    return df.with_columns(encounter_id=ids.str.replace("^X", "EZ"))


def _denied(**extra: pl.Expr | str | None) -> Mutation:
    base: dict[str, pl.Expr | str | None] = {
        "status": "denied",
        "paid_amount": "0.00",
        "denial_date": pl.col("submitted_date"),
        "denied_amount": pl.col("billed_amount"),
        "carc_code": "CO-16",
        "rarc_code": None,
        "appeal_date": None,
        "appeal_outcome": None,
        "recovered_amount": None,
    }
    return _with(**(base | extra))


# fmt: off
_HAS_DISCHARGE = pl.col("discharge_date").is_not_null()
_DIRTY: dict[str, tuple[_Dirty, ...]] = {
    "encounters": (
        _Dirty("required_missing", "primary_payer", _lit(primary_payer=None)),
        _Dirty("required_missing", "total_charges", _lit(total_charges="N/A"),
               note="N/A is a null token, so the required amount is empty"),
        _Dirty("invalid_date", "admit_date", _lit(admit_date="2024-02-30")),
        _Dirty("invalid_date", "discharge_date", _lit(discharge_date="13/45/2024"), _HAS_DISCHARGE),
        _Dirty("date_order", "admit_date",
               _with(admit_date=_shift_date("discharge_date", 3), coded_date=None, final_billed_date=None),
               _HAS_DISCHARGE, note="discharge_date is 3 days before admit_date"),
        _Dirty("money_format", "total_charges", _lit(total_charges="TBD")),
        _Dirty("out_of_range", "total_charges", _with(total_charges="-" + pl.col("total_charges")),
               note="negative charges"),
        _Dirty("precision", "total_charges", _with(total_charges=pl.col("total_charges") + "5")),
        _Dirty("unknown_value", "patient_type", _lit(patient_type="Swing Bed")),
        _Dirty("age_out_of_range", "birth_date", _lit(birth_date="1890-01-01")),
        _Dirty("future_date", "discharge_date", _lit(discharge_date="2099-01-15", coded_date=None,
                                                     final_billed_date=None), _HAS_DISCHARGE),
        _Dirty("invalid_zip", "zip_code", _lit(zip_code="ABCDE")),
        _Dirty("control_characters", "service_line", _lit(service_line="Cardi\u202eology"),
               note="U+202E right-to-left override inside the text"),
        _Dirty("drg_not_in_table", "ms_drg", _lit(ms_drg="237"), pl.col("ms_drg").is_not_null(),
               note="MS-DRG 237 was deleted in FY2020"),
        _Dirty(None, "service_line", _lit(service_line='=HYPERLINK("http://x")'),
               note="spreadsheet formula payload: kept as text, must be neutralised in exports"),
        _Dirty(None, "admit_date",
               _with(**{c: _us_date(c) for c in ("admit_date", "discharge_date", "birth_date", "coded_date",
                                                  "final_billed_date")}),
               note="every date written MM/DD/YYYY"),
        _Dirty(None, "total_charges", _with(total_charges=_dollars("total_charges")),
               note="money as $1,234.50"),
    ),
    "diagnoses": (
        _Dirty("malformed_code", "code", _lit(code="E11-9")),
        _Dirty("malformed_code", "code", _lit(code="12345")),
        _Dirty("unknown_icd10", "code", _lit(code="Z99.99"), note="well-shaped but not an ICD-10-CM code"),
        _Dirty("unknown_encounter", "encounter_id", _orphan, note="orphan diagnosis"),
        _Dirty("required_missing", "code", _lit(code=None)),
        _Dirty("invalid_int", "seq", _lit(seq="2a")),
        _Dirty("unknown_value", "poa", _lit(poa="Q")),
        _Dirty(None, "code", _with(code=pl.col("code").str.replace(".", "", literal=True)),
               note="code written without its dot"),
    ),
    "procedures": (
        _Dirty("unknown_value", "code_system", _lit(code_system="ICD-9-CM")),
        _Dirty("malformed_code", "code", _lit(code="0SRD0J", code_system="ICD10PCS"),
               note="6-character PCS code"),
        _Dirty("invalid_date", "procedure_date", _lit(procedure_date="2025-02-29")),
        _Dirty("unknown_encounter", "encounter_id", _orphan, note="orphan procedure"),
        _Dirty("required_missing", "code_system", _lit(code_system=None)),
        _Dirty(None, "procedure_date", _with(procedure_date=_us_date("procedure_date")),
               note="MM/DD/YYYY date"),
    ),
    "claims": (
        _Dirty("unknown_carc", "carc_code", _denied(carc_code="CO-999")),
        _Dirty("duplicate_key", "claim_id",
               _with(billed_amount=_money_expr(_cents("billed_amount") + 10_000)),
               note="same claim_id as conflicts_with_line, different billed_amount", conflict=True),
        _Dirty("required_missing", "billed_amount", _lit(billed_amount="N/A"),
               note="N/A is a null token, so the required amount is empty"),
        _Dirty("required_missing", "denial_date", _denied(denial_date=None),
               note="denial_date is required when status is denied"),
        _Dirty("unknown_value", "status", _lit(status="rejected")),
        _Dirty("unknown_encounter", "encounter_id", _orphan, note="claim for an unknown encounter"),
        _Dirty("money_format", "paid_amount", _lit(paid_amount="12.34.56")),
        _Dirty("invalid_date", "submitted_date", _lit(submitted_date="2024-02-30")),
        _Dirty("unknown_value", "appeal_outcome", _lit(appeal_outcome="won")),
        _Dirty("out_of_range", "billed_amount", _with(billed_amount="-" + pl.col("billed_amount")),
               note="negative amount"),
        _Dirty(None, "billed_amount",
               _with(billed_amount=_dollars("billed_amount"), submitted_date=_us_date("submitted_date")),
               note="money as $1,234.50 and submitted_date as MM/DD/YYYY"),
    ),
    "coding_activity": (
        _Dirty("implausible_session", "completed_at",
               _with(started_at=pl.col("started_at").str.slice(0, 10) + "T06:00:00",
                     completed_at=pl.col("started_at").str.slice(0, 10) + "T17:30:00"),
               note="an 11.5-hour session"),
        _Dirty("date_order", "completed_at", _with(completed_at=_shift_ts("started_at", -1)),
               note="completed one hour before started"),
        _Dirty("invalid_timestamp", "started_at", _lit(started_at="2025-06-31T09:00:00")),
        _Dirty("unknown_value", "activity", _lit(activity="abstract")),
        _Dirty("unknown_value", "chart_type", _lit(chart_type="inpt")),
        _Dirty("unknown_encounter", "encounter_id", _orphan, note="work on an unknown encounter"),
        _Dirty("required_missing", "coder_id", _lit(coder_id=None)),
    ),
    "coding_audits": (
        _Dirty("count_order", "codes_changed",
               _with(codes_changed=(pl.col("codes_reviewed").cast(pl.Int64) + 2).cast(pl.Utf8))),
        _Dirty("invalid_int", "codes_reviewed", _lit(codes_reviewed="ten")),
        _Dirty("unknown_encounter", "encounter_id", _orphan, note="audit of an unknown encounter"),
        _Dirty("required_missing", "audit_date", _lit(audit_date=None)),
        _Dirty("invalid_date", "audit_date", _lit(audit_date="2025-04-31")),
        _Dirty(None, "audit_date", _with(audit_date=_us_date("audit_date")), note="MM/DD/YYYY date"),
    ),
}
# fmt: on


def _fresh_key(family: str, df: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """Give dirty rows a natural key of their own, so that each breaks only its intended rule."""
    if family == "encounters":
        return df.with_columns(encounter_id="E" + ids)
    if family in ("diagnoses", "procedures"):
        return df.with_columns(seq=pl.lit("20"))
    if family == "claims":
        return df.with_columns(claim_id="CLM" + ids)
    if family == "coding_activity":
        return df.with_columns(
            started_at=_shift_ts("started_at", 3), completed_at=_shift_ts("completed_at", 3)
        )
    return df.with_columns(audit_id="AUD" + ids)


class _ManifestWriter:
    """Streams ``dirty_manifest.json`` so that its size never limits the generator's memory."""

    def __init__(self, path: Path, seed: int, encounters: int) -> None:
        self.path = path
        self.fh = path.open("w", encoding="utf-8")
        self.count = 0
        self.by_rule: dict[str, int] = {}
        head = {
            "generator": "warehouse.demo",
            "seed": seed,
            "encounters": encounters,
            "line_numbers": "1-based, the header is line 1",
            "expect": "reject = row goes to the reject store; flag = row kept and flagged; accept = row kept",
        }
        self.fh.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [\n')

    def add(self, entry: dict[str, Any]) -> None:
        self.fh.write(("" if self.count == 0 else ",\n") + json.dumps(entry, ensure_ascii=False))
        self.count += 1
        key = entry["rule"] or "accepted_variant"
        self.by_rule[key] = self.by_rule.get(key, 0) + 1

    def close(self) -> None:
        self.fh.write("\n], " + json.dumps({"counts": dict(sorted(self.by_rule.items()))})[1:] + "\n")
        self.fh.close()


def _add_dirty(
    frames: dict[str, pl.DataFrame], ctx: _Ctx, c: int, lines: dict[str, int], manifest: _ManifestWriter
) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng([ctx.seed, 3, c])
    out: dict[str, pl.DataFrame] = {}
    for family in _OUT_FAMILIES:
        clean = frames[family]
        kinds = _DIRTY[family]
        n = clean.height
        if n == 0:
            out[family] = clean
            continue
        n_dirty = max(len(kinds) if c == 0 else 0, round(0.01 * n))
        offset = int(rng.integers(len(kinds)))
        wanted = [kinds[(offset + j) % len(kinds)] for j in range(n_dirty)]
        # Templates: one row per encounter for the families keyed by (encounter_id, seq), distinct rows
        # for the
        # work log (whose key holds started_at), any row elsewhere.
        if family in ("diagnoses", "procedures"):
            base_ok = (clean["seq"] == "1").to_numpy()
        else:
            base_ok = np.ones(n, dtype=bool)
        distinct = family in ("diagnoses", "procedures", "coding_activity")
        used = np.zeros(n, dtype=bool)
        parts: list[pl.DataFrame] = []
        meta: list[tuple[_Dirty, int]] = []
        serial = 0
        for kind in kinds:
            count = sum(1 for w in wanted if w is kind)
            if count == 0:
                continue
            ok = base_ok & ~used
            if kind.where is not None:
                ok &= clean.select(kind.where.fill_null(value=False)).to_series().to_numpy()
            cand = np.flatnonzero(ok)
            if len(cand) == 0:
                continue
            if distinct:
                count = min(count, len(cand))
                pick = rng.choice(cand, size=count, replace=False)
                used[pick] = True
            else:
                pick = cand[rng.integers(0, len(cand), count)]
            ids = _ids("X", np.arange(serial, serial + count) + c * 1_000_000, 10)
            serial += count
            tmpl = clean[pick]
            if not kind.conflict:
                tmpl = _fresh_key(family, tmpl, ids)
            parts.append(kind.mutate(tmpl, ids).select(clean.columns))
            meta.extend((kind, int(p)) for p in pick)
        if not parts:
            out[family] = clean
            continue
        dirty = pl.concat(parts)
        m = dirty.height
        pos = rng.integers(0, n + 1, m)
        keys = np.concatenate([2 * np.arange(n) + 1, 2 * pos])
        order = np.argsort(keys, kind="stable")
        inv = np.empty_like(order)
        inv[order] = np.arange(len(order))
        out[family] = pl.concat([clean, dirty])[order]
        values = dirty.to_dict(as_series=False)
        for j, (kind, tpl) in enumerate(meta):
            entry: dict[str, Any] = {
                "file": f"{family}.csv",
                "line": lines[family] + int(inv[n + j]) + 1,
                "expect": "accept"
                if kind.rule is None
                else ("flag" if kind.rule in FLAG_KINDS else "reject"),
                "rule": kind.rule,
                "column": kind.column,
                "value": values[kind.column][j],
            }
            if kind.conflict:
                entry["conflicts_with_line"] = lines[family] + int(inv[tpl]) + 1
            if kind.note:
                entry["note"] = kind.note
            manifest.add(entry)
    return out


# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------


def generate(
    out_dir: Path,
    encounters: int = 20_000,
    seed: int = 42,
    dirty: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Path]:
    """Write a synthetic demo extract: one CSV file per contract family.

    The same ``encounters`` and ``seed`` always give byte-identical files. Work is done in chunks of
    :data:`CHUNK_SIZE` encounters appended to the files, so memory stays bounded for any size.

    Args:
        out_dir: Directory to write into (created when missing); existing demo files are overwritten.
        encounters: Number of encounters (clean rows of ``encounters.csv``).
        seed: Seed of every random choice (a non-negative integer).
        dirty: Also write about 1 % of rows that break one contract rule each, or use an accepted
            variant (``MM/DD/YYYY``, ``$1,234.50``), and list them in ``dirty_manifest.json``.
        progress: Called as ``progress(done, total)`` (encounters) after each chunk.

    Returns:
        Family name -> path of its CSV file, plus ``"dirty_manifest"`` when ``dirty`` is set.

    Raises:
        ValueError: ``encounters`` is outside 1 .. :data:`MAX_ENCOUNTERS` or ``seed`` is negative.
    """
    if encounters < 1:
        raise ValueError("encounters must be at least 1")
    if encounters > MAX_ENCOUNTERS:
        raise ValueError(f"encounters must be at most {MAX_ENCOUNTERS:,} (MRNs are 8 digits)")
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = _make_ctx(encounters, seed)
    paths = {f: out_dir / f"{f}.csv" for f in _OUT_FAMILIES}
    manifest_path = out_dir / _MANIFEST
    manifest = _ManifestWriter(manifest_path, seed, encounters) if dirty else None
    if not dirty:
        manifest_path.unlink(missing_ok=True)
    handles = {f: p.open("wb") for f, p in paths.items()}
    lines = dict.fromkeys(_OUT_FAMILIES, 1)
    try:
        for f, fh in handles.items():
            fh.write((",".join(FAMILIES[f].column_names) + "\n").encode())
        for c, lo in enumerate(range(0, encounters, CHUNK_SIZE)):
            hi = min(lo + CHUNK_SIZE, encounters)
            frames = _gen_chunk(ctx, c, lo, hi)
            if manifest is not None:
                frames = _add_dirty(frames, ctx, c, lines, manifest)
            for f in _OUT_FAMILIES:
                df = frames[f].select(FAMILIES[f].column_names)
                df.write_csv(handles[f], include_header=False)
                lines[f] += df.height
            if progress is not None:
                progress(hi, encounters)
    finally:
        for fh in handles.values():
            fh.close()
        if manifest is not None:
            manifest.close()
    result: dict[str, Path] = dict(paths)
    if manifest is not None:
        result["dirty_manifest"] = manifest_path
    return result
