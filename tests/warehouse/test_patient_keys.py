"""The keyed hash of MRNs (the only stored form of an MRN): the vectorised paths against the standard
library's ``hmac``, for secrets shorter than, as long as and longer than SHA-256's 64-byte block."""

from __future__ import annotations

import hashlib
import hmac

import polars as pl
import pytest

from warehouse import validate

MRNS = ["MRN0001", "", "  padded  ", "Ä-ü-\u202e-\U0001f600", "7" * 500, None, "MRN0001"]
SECRETS = [
    b"sixteen-chars-ok",
    b"k" * 64,
    b"a-secret-longer-than-one-sha256-block-" * 3,
    "clé-secrète-très-longue".encode(),
]


def _reference(secret: bytes, mrn: str | None) -> str | None:
    if mrn is None:
        return None
    return hmac.new(secret, mrn.encode("utf-8"), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("secret", SECRETS, ids=["short", "block", "long", "utf8"])
def test_the_plugin_and_duckdb_paths_equal_the_standard_hmac(secret: bytes) -> None:
    mrns = pl.Series("patient_id", MRNS, dtype=pl.Utf8)
    expected = [_reference(secret, m) for m in MRNS]
    assert validate._plugin_hmac_works(secret)  # the fast path is the one tested here, not skipped
    assert validate.patient_keys(secret, mrns).to_list() == expected
    assert validate._patient_keys_duckdb(secret, mrns).to_list() == expected
    assert [validate.patient_key(secret, m) for m in MRNS if m is not None] == [e for e in expected if e]


def test_a_secret_that_is_not_utf8_text_takes_the_duckdb_path_with_the_same_result() -> None:
    secret = b"\xff\xfe-not-utf-8-but-long-enough"
    mrns = pl.Series("patient_id", MRNS, dtype=pl.Utf8)
    assert not validate._plugin_hmac_works(secret)
    assert validate.patient_keys(secret, mrns).to_list() == [_reference(secret, m) for m in MRNS]


def test_an_empty_column_hashes_to_an_empty_column() -> None:
    out = validate.patient_keys(SECRETS[0], pl.Series("patient_id", [], dtype=pl.Utf8))
    assert out.len() == 0
    assert out.dtype == pl.Utf8


@pytest.mark.parametrize("failure", [pl.exceptions.ComputeError, pl.exceptions.PanicException])
def test_a_plugin_failure_on_a_batch_falls_back_to_duckdb(
    monkeypatch: pytest.MonkeyPatch, failure: type[BaseException]
) -> None:
    """An error, or a Rust panic (a BaseException), inside the plugin never fails the load."""
    secret = SECRETS[0]
    assert validate._plugin_hmac_works(secret)

    def broken(_: pl.Series) -> pl.Series:
        raise failure("plugin failure")

    monkeypatch.setattr(validate, "_plugin_hmac", lambda _secret: pl.col("mrn").map_batches(broken))
    mrns = pl.Series("patient_id", MRNS, dtype=pl.Utf8)
    assert validate.patient_keys(secret, mrns).to_list() == [_reference(secret, m) for m in MRNS]
