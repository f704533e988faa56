"""``int_month_ends``' 90-day gross charges against an independent computation.

The view sums the charges by discharge day before joining the 90-day windows (one row per day and filter
combination instead of one per encounter); here the expectation is computed per encounter in Polars from
the generated frames, for every month the table holds.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from polars.testing import assert_frame_equal

FILTERS = ["facility_id", "patient_type", "financial_class", "primary_payer", "service_line"]


def _month_end(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def test_gross_charges_90d_equal_the_encounters_summed_per_window(gen_con, generated):
    encounters = generated[1]["encounters"].filter(pl.col("discharge_date").is_not_null())
    got = gen_con.sql(
        "select month, facility_id, patient_type, financial_class, primary_payer, service_line, "
        "gross_charges_90d_amount from int_month_ends where gross_charges_90d_amount is not null"
    ).pl()
    months = [r[0] for r in gen_con.sql("select distinct month from int_month_ends order by 1").fetchall()]
    assert len(months) > 12
    expected = []
    for month in months:
        end = _month_end(month)
        window = encounters.filter(
            pl.col("discharge_date").is_between(end - dt.timedelta(days=89), end, closed="both")
        )
        if window.height:
            expected.append(
                window.group_by(FILTERS)
                .agg(pl.col("total_charges").sum().alias("gross_charges_90d_amount"))
                .with_columns(pl.lit(month).alias("month"))
            )
    want = pl.concat(expected).select(got.columns)
    key = ["month", *FILTERS]
    assert got.height == want.height > 0
    assert_frame_equal(
        got.sort(key),
        want.sort(key).with_columns(
            pl.col("gross_charges_90d_amount").cast(got.schema["gross_charges_90d_amount"])
        ),
    )
