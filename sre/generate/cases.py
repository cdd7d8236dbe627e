"""promtool cases synthesized at each alert's boundary, from the resolved spec.

Each alert on an SLO gets a case just under its threshold that stays silent and one just over
it that fires at the right time; freshness alerts also get the absent gauge; burn-rate tiers get
a steady error ratio at the objective (silent), a 100 % error burst after a clean window (fires
in the time the tier allows), and a quiet window under the low-traffic guard (silent). Series
carry only the labels the SLO declares (`group_by`, the status label, `le`), never invented
ones. promtool 2.42 starts every test at t=0 (`time()` is 0), so a freshness case writes the
last-success timestamp relative to 0.
"""

from __future__ import annotations

import math

from sre.errors import GenerateError
from sre.spec.alert import Alert, BurnRate, Case, Threshold
from sre.spec.environment import Environment
from sre.spec.service import Service
from sre.spec.slo import SLO
from sre.spec.units import human_duration, number, percent

__all__ = ["synthesized_cases"]

_PER_INTERVAL = 1000  # events per sample interval in the busy cases: far above any min_events
# "Just over" and "just under" a threshold: 2 % either side, so a threshold moved by more
# than that fails a case.
_OVER, _UNDER = 1.02, 0.98


def synthesized_cases(alert: Alert, service: Service, env: Environment) -> tuple[Case, ...]:
    """Cases for an alert on an SLO; literal expressions bring their own (`Alert.cases`)."""
    expr = alert.expr
    if isinstance(expr, str):
        return alert.cases
    slo = service.slo(expr.slo)
    if isinstance(expr, BurnRate):
        return _burn_cases(expr, slo, alert, service, env)
    interval = env.scaled(60)
    if slo.kind == "freshness":
        return _freshness_cases(expr, slo, alert, service, interval)
    if slo.kind == "success_ratio" and expr.level == "budget":
        return _ratio_cases(expr, slo, alert, service, interval)
    if slo.kind == "latency":
        return _latency_cases(expr, slo, alert, service, interval)
    raise GenerateError(
        f"{alert.name}: no synthesized cases for {slo.kind}/{expr.level}", path=slo.name
    )


# --- series ------------------------------------------------------------------------------------


def _labels(slo: SLO, service: Service) -> dict[str, str]:
    """The SLO's grouping labels with a value each: the service's job, else `<label>-a`."""
    return {g: service.job if g == "job" else f"{g}-a" for g in slo.group_by}


def _series(metric: str, labels: dict[str, str]) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{metric}{{{inner}}}" if inner else metric


def _counter(per_interval: float, samples: int) -> str:
    return f"0+{number(per_interval)}x{samples}"


def _events(slo: SLO, labels: dict[str, str], good: str, bad: str, total: str) -> dict[str, str]:
    """Input series of a success ratio from promtool value notations: a status counter's two
    series, or a histogram's good bucket and `_count` (all events)."""
    if slo.le:
        return {
            _series(f"{slo.metric}_bucket", {**labels, "le": slo.le}): good,
            _series(f"{slo.metric}_count", labels): total,
        }
    return {
        _series(slo.metric, {**labels, slo.status_label: slo.bad}): bad,
        _series(slo.metric, {**labels, slo.status_label: slo.good}): good,
    }


def _statuses(slo: SLO, service: Service, bad: float, good: float, samples: int) -> dict[str, str]:
    """`bad` and `good` events per interval."""
    return _events(
        slo,
        _labels(slo, service),
        _counter(good, samples),
        _counter(bad, samples),
        _counter(good + bad, samples),
    )


# --- thresholds --------------------------------------------------------------------------------


def _freshness_cases(
    expr: Threshold, slo: SLO, alert: Alert, service: Service, interval: int
) -> tuple[Case, ...]:
    limit = round(slo.threshold(expr.level) * slo.unit)
    wait = alert.for_
    at = limit + wait + 2 * interval
    n = at // interval + 2
    labels = _labels(slo, service)
    gauge = _series(slo.metric, labels)
    cases = [
        Case(
            f"fires once the last success is older than {limit}s",
            {gauge: f"0x{n}"},
            at,
            (labels,),
            interval,
        ),
        Case(
            "silent while the last success is just under the threshold",
            {gauge: f"{at - limit + interval}x{n}"},
            at,
            (),
            interval,
        ),
    ]
    if wait > interval:
        cases.append(
            Case(
                "silent while past the threshold for less than `for`",
                {gauge: f"{at - limit - wait + interval}x{n}"},
                at,
                (),
                interval,
            )
        )
    # The gauge updates for ten samples, then disappears (job deleted, Pushgateway wiped):
    # Prometheus writes a staleness marker at the next scrape.
    gone = 10 * interval
    late = gone + limit + wait + 2 * interval
    alive = f"0+{interval}x9 stale"
    # `up` stands for Prometheus scraping its targets from the start; without it Prometheus
    # could have just started, and absence proves nothing.
    up = {_series("up", {"job": "prometheus"}): f"1x{late // interval + 2}"}
    cases += [
        Case(
            f"fires when the gauge has been absent for over {limit}s",
            {gauge: alive, **up},
            late,
            ({},),
            interval,
        ),
        Case(
            "silent while the gauge has been absent for less than the threshold",
            {gauge: alive, **up},
            gone + limit - interval,
            (),
            interval,
        ),
        Case(
            f"silent when Prometheus started under {limit}s ago and has no gauge yet",
            {_series("up", {"job": "prometheus"}): f"_x{limit // interval} 1x{n}"},
            limit + 2 * interval,
            (),
            interval,
        ),
    ]
    return tuple(cases)


def _ratio_cases(
    expr: Threshold, slo: SLO, alert: Alert, service: Service, interval: int
) -> tuple[Case, ...]:
    budget = slo.threshold("budget")
    at = (expr.window or slo.window) + alert.for_ + 2 * interval
    n = at // interval + 2
    over, under = min(1.0, budget * _OVER), budget * _UNDER

    def steady(ratio: float) -> dict[str, str]:
        bad = _PER_INTERVAL * ratio
        return _statuses(slo, service, bad, _PER_INTERVAL - bad, n)

    return (
        Case(
            f"fires at {percent(over)} failures, just over {percent(budget)}",
            steady(over),
            at,
            (_labels(slo, service),),
            interval,
        ),
        Case(f"silent at {percent(under)} failures, just under", steady(under), at, (), interval),
        Case(
            "silent while idle (no 0/0 alert)", _statuses(slo, service, 0, 0, n), at, (), interval
        ),
    )


def _latency_cases(
    expr: Threshold, slo: SLO, alert: Alert, service: Service, interval: int
) -> tuple[Case, ...]:
    value = slo.threshold(expr.level)
    at = slo.window + alert.for_ + 2 * interval
    n = at // interval + 2
    labels = _labels(slo, service)
    les = (number(value / 2), number(value), number(value * 2), "+Inf")

    def histogram(at_most_value: float) -> dict[str, str]:
        # Per 1000 observations: q/2 of them under value/2, `at_most_value` under value, all
        # under 2x. q - 0.2 % under value puts the quantile just over it, q + 0.2 % just under.
        # Half of them from each of two scrape targets (`instance`, a label Prometheus puts
        # on every series), so a quantile that skips the sum by the SLO's labels alerts twice.
        counts = (500 * slo.quantile, 1000 * at_most_value, 1000, 1000)
        return {
            _series(f"{slo.metric}_bucket", {**labels, "instance": i, "le": le}): _counter(
                count / 2, n
            )
            for i in ("a", "b")
            for le, count in zip(les, counts, strict=True)
        }

    q = number(slo.quantile)
    return (
        Case(
            f"fires when the p{q} is just over {number(value)}s",
            histogram(slo.quantile - 0.002),
            at,
            (labels,),
            interval,
        ),
        Case(
            f"silent when the p{q} is just under {number(value)}s",
            histogram(min(1.0, slo.quantile + 0.002)),
            at,
            (),
            interval,
        ),
    )


# --- burn rates --------------------------------------------------------------------------------


def _burn_cases(
    expr: BurnRate, slo: SLO, alert: Alert, service: Service, env: Environment
) -> tuple[Case, ...]:
    tier = slo.tier(expr.tier)
    budget = slo.threshold("budget")
    factor = tier.factor(slo.window)
    limit = factor * budget
    interval = max(env.scaled(60), tier.short // 10)
    at = tier.long + alert.for_ + 2 * interval
    n = at // interval + 2
    labels = _labels(slo, service)

    def steady(ratio: float, events: float = _PER_INTERVAL) -> dict[str, str]:
        return _statuses(slo, service, events * ratio, events * (1 - ratio), n)

    over = min(limit * _OVER, (limit + 1) / 2)
    cases = [
        Case(
            f"fires at a steady {number(over / budget)}x burn, just over {number(factor)}x",
            steady(over),
            at,
            (labels,),
            interval,
        ),
        Case(
            f"silent at a steady {number(_UNDER * factor)}x burn, just under",
            steady(_UNDER * limit),
            at,
            (),
            interval,
        ),
    ]
    if factor > 1:
        cases.append(
            Case(
                "silent at a steady error ratio equal to the objective (1x)",
                steady(budget),
                at,
                (),
                interval,
            )
        )
    # A clean long window, then every event fails: the long window's ratio passes the limit
    # after limit x long, the short one at once; then `for`.
    clean = tier.long // interval
    burst_at = (clean + 1) * interval
    reach = max(math.ceil(limit * tier.long), tier.short)
    fire_at = burst_at + reach + alert.for_ + 3 * interval
    after = (fire_at - burst_at) // interval + 2
    top = _PER_INTERVAL * clean
    burst = _events(
        slo,
        labels,
        good=f"0+{_PER_INTERVAL}x{clean} {top}+0x{after}",
        bad=f"0x{clean} 0+{_PER_INTERVAL}x{after}",
        total=f"0+{_PER_INTERVAL}x{clean} {top}+{_PER_INTERVAL}x{after}",
    )
    cases.append(
        Case(
            f"fires within {human_duration(fire_at - burst_at)} of a 100% error burst "
            "after a clean window",
            burst,
            fire_at,
            (labels,),
            interval,
        )
    )
    if slo.min_events:
        quiet = slo.min_events / 2 / (tier.long / interval)
        cases.append(
            Case(
                f"silent when every event fails but the window saw under {slo.min_events}",
                steady(1.0, quiet),
                at,
                (),
                interval,
            )
        )
    return tuple(cases)
