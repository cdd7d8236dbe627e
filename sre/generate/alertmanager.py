"""Alertmanager: a fragment per service (a route subtree selecting the service by its labels,
the receivers its spec declares, its inhibitions) to merge into a shared config with
`sre alertmanager merge`, and, for a stack running the service alone, a standalone config."""

from __future__ import annotations

import json
from typing import Any

from sre.generate.alertmanager_merge import merge, minimal_base
from sre.generate.inhibitions import burn_tier_inhibitions
from sre.remediation.notices import NOTICE_LABEL
from sre.spec.environment import Environment
from sre.spec.receiver import SEVERITIES, thaw
from sre.spec.service import Service
from sre.spec.units import prom_duration

__all__ = [
    "NOTES",
    "REMEDIATOR",
    "alertmanager_fragment",
    "alertmanager_standalone",
    "fragment_file",
    "is_remediator",
    "standalone_file",
]

REMEDIATOR = "sre-remediator"
_REPEAT = {"critical": 3600, "warning": 4 * 3600, "info": 24 * 3600}

# Why the timings are what they are; written at the top of the generated file.
NOTES = """\
A fragment: merge it into your Alertmanager config with
  sre alertmanager merge BASE.yml alerts/*.alertmanager.yml > alertmanager.yml
Its route selects this service by its labels; child routes send each severity to the
receivers the spec declares (names prefixed with the service's).
group_by [alertname, <service labels>]: one notification per alert per service, so a page
  names one problem; the remediation route uses '...' (no grouping) because the engine acts on
  each alert and deduplicates by fingerprint and episode itself.
group_wait 30s: long enough to batch the alerts of one bad run, short next to a 15 min P0
  response time. group_interval 5m: new alerts joining a group wait at most 5 minutes.
repeat_interval (unless a receiver sets its own): critical 1h, warning 4h, info 24h;
  remediation 1h (re-sends are safe: the engine acts once per episode).
inhibit: a critical alert mutes the warnings of the same service (equal on its labels; never
  a notice), and a faster burn-rate tier of an SLO mutes its slower tiers (same slo and
  service labels).
notices (label sre_notice): the remediator's own alerts (a run awaiting approval, failed or
  expired; a circuit opened) go to the same receivers by severity, one notification per run
  (group_by alertname, run, target), at once (group_wait 0s).
send_resolved on the remediation webhook: the engine closes its episode on resolution (it still
  post-checks in Prometheus before declaring an action done)."""


def fragment_file(service: Service) -> str:
    return f"alerts/{service.name}.alertmanager.yml"


def standalone_file(service: Service) -> str:
    return f"alerts/{service.name}.alertmanager-standalone.yml"


def is_remediator(receiver_name: str) -> bool:
    """Whether a receiver in a (merged) config is a service's remediation webhook."""
    return receiver_name == REMEDIATOR or receiver_name.endswith(f"-{REMEDIATOR}")


def _matcher(name: str, value: str) -> str:
    return f"{name}={json.dumps(value, ensure_ascii=False)}"


def _receivers(service: Service, env: Environment) -> list[dict[str, Any]]:
    out = [{"name": service.receiver_name(r), **thaw(r.config)} for r in service.receivers]
    if service.remediation:
        out.append(
            {
                "name": service.receiver_name(REMEDIATOR),
                "webhook_configs": [
                    {
                        "url": env.webhook_url,
                        "send_resolved": True,
                        "max_alerts": 0,
                        "http_config": {
                            "authorization": {
                                "type": "Bearer",
                                "credentials_file": env.webhook_credentials_file,
                            }
                        },
                    }
                ],
            }
        )
    return out


def _routes(service: Service) -> list[dict[str, Any]]:
    routes: list[dict[str, Any]] = []
    if service.remediation:
        by_severity = _severity_routes(service)
        routes.append(
            {
                "matchers": [f'{NOTICE_LABEL}=~".+"'],
                "group_by": ["alertname", "run", "target"],
                "group_wait": "0s",
                "group_interval": "1m",
                "repeat_interval": "1h",
                **({"routes": by_severity} if by_severity else {}),
            }
        )
    remediated = sorted({p.alertname for p in service.remediation})
    if remediated:
        routes.append(
            {
                "receiver": service.receiver_name(REMEDIATOR),
                "matchers": [f'alertname=~"{"|".join(remediated)}"'],
                "group_by": ["..."],
                "group_wait": "0s",
                "group_interval": "1m",
                "repeat_interval": "1h",
                "continue": True,
            }
        )
    return [*routes, *_severity_routes(service)]


def _severity_routes(service: Service) -> list[dict[str, Any]]:
    routes: list[dict[str, Any]] = []
    for receiver in service.receivers:
        if not receiver.severities:
            continue
        severities = [s for s in SEVERITIES if s in receiver.severities]
        matcher = (
            _matcher("severity", severities[0])
            if len(severities) == 1
            else f'severity=~"{"|".join(severities)}"'
        )
        repeat = receiver.repeat_interval or min(_REPEAT[s] for s in severities)
        routes.append(
            {
                "receiver": service.receiver_name(receiver),
                "matchers": [matcher],
                "repeat_interval": prom_duration(repeat),
            }
        )
    return routes


def alertmanager_fragment(service: Service, env: Environment) -> dict[str, Any]:
    """The service's route subtree, receivers and inhibitions; `service` resolved for `env`."""
    equal = sorted(service.labels)
    route: dict[str, Any] = {
        "matchers": [_matcher(k, v) for k, v in sorted(service.labels.items())],
    }
    default = next((r for r in service.receivers if not r.severities), None)
    if default is not None:
        route["receiver"] = service.receiver_name(default)
    route.update(
        {
            "group_by": ["alertname", *equal],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": _routes(service),
        }
    )
    return {
        "route": route,
        "receivers": _receivers(service, env),
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": [
                    'severity="warning"',
                    *(f'{k}=~".+"' for k in equal),
                    # a notice asks a person for something: nothing mutes it
                    *([f'{NOTICE_LABEL}=""'] if service.remediation else []),
                ],
                "equal": equal,
            },
            *burn_tier_inhibitions(service),
        ],
    }


def alertmanager_standalone(service: Service, env: Environment) -> dict[str, Any]:
    """A complete config for this service alone: the fragment merged into a minimal base whose
    default receiver drops what no route of the service takes."""
    return merge(minimal_base(), [(fragment_file(service), alertmanager_fragment(service, env))])
