from __future__ import annotations

import pytest

from sre.check.promql import metric_names


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        (
            "(time() - potato_pipeline_last_successful_run_timestamp) / 3600 > 2",
            {"potato_pipeline_last_successful_run_timestamp"},
        ),
        ('histogram_quantile(0.95, rate(d_bucket{job="x"}[5m])) > 600', {"d_bucket"}),
        ("sum by (task, status) (increase(t_total[1h]))", {"t_total"}),
        ('up{job="sre-remediator"} == 0 or absent(up{job="sre-remediator"})', {"up"}),
        (
            "a:b:ratio_rate1h > (14.4 * 0.05) and a:b:ratio_rate5m > (14.4 * 0.05)",
            {"a:b:ratio_rate1h", "a:b:ratio_rate5m"},
        ),
        ("sum(rate(x[$__rate_interval])) / on (job) group_left (task) y offset 5m", {"x", "y"}),
        ('count(m{l="by (x) sum(y)"})', {"m"}),
    ],
)
def test_metric_names_are_the_selected_series_only(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names
