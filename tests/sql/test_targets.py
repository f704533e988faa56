"""warehouse.targets: defaults, site overrides, status."""

from __future__ import annotations

import pytest

from warehouse.scorecard import KPIS
from warehouse.targets import Target, TargetsProblem, default_targets, load_targets, status


def test_defaults_ship_with_sources():
    targets = default_targets()
    assert {"initial_denial_rate", "dnfb_days", "coding_accuracy", "inpatient_charts_per_hour"} <= set(
        targets
    )
    assert set(targets) <= set(KPIS)
    assert all(t.source for t in targets.values())
    assert targets["initial_denial_rate"].direction == "lower"
    assert targets["coding_accuracy"] == Target(
        "coding_accuracy", 0.95, 0.02, "higher", targets["coding_accuracy"].source
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.96, "green"), (0.95, "green"), (0.94, "amber"), (0.93, "amber"), (0.92, "red"), (None, None)],
)
def test_status_higher_is_better(value, expected):
    assert Target("coding_accuracy", 0.95, 0.02, "higher").status(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(0.03, "green"), (0.05, "green"), (0.08, "amber"), (0.11, "red")]
)
def test_status_lower_is_better(value, expected):
    assert status(value, Target("initial_denial_rate", 0.05, 0.05, "lower")) == expected
    assert status(value, None) is None


def test_site_file_overrides(tmp_path, monkeypatch):
    site = tmp_path / "targets.toml"
    site.write_text('[dnfb_days]\ntarget = 4\namber = 1\ndirection = "lower"\nsource = "our board"\n')
    targets = load_targets(site, known=set(KPIS))
    assert (targets["dnfb_days"].target, targets["dnfb_days"].source) == (4.0, "our board")
    assert targets["coding_accuracy"].target == 0.95  # the others keep their defaults
    monkeypatch.setenv("HIM_TARGETS", str(site))
    assert load_targets()["dnfb_days"].target == 4.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[dnfb_days]\ntarget = 4\ndirection = "up"\n', "direction must be 'higher' or 'lower'"),
        ("[dnfb_days]\namber = 1\n", "needs a target"),
        ('[dnfb_days]\ntarget = "x"\ndirection = "lower"\n', "must be numbers"),
        ('[dnfb_days]\ntarget = 4\ndirection = "lower"\ncolour = 1\n', "unknown key 'colour'"),
        ('[dnfb_dayz]\ntarget = 4\ndirection = "lower"\n', "no KPI named 'dnfb_dayz'"),
        ("not toml [", "cannot be read"),
    ],
)
def test_bad_site_file(tmp_path, text, message):
    site = tmp_path / "t.toml"
    site.write_text(text)
    with pytest.raises(TargetsProblem, match=message):
        load_targets(site, known=set(KPIS))


def test_missing_file(tmp_path):
    with pytest.raises(TargetsProblem, match="does not exist"):
        load_targets(tmp_path / "nope.toml")
