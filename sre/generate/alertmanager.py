"""Alertmanager configuration: routes by severity, the remediation webhook, inhibition."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from sre.generate.inhibitions import burn_tier_inhibitions
from sre.spec.environment import Environment
from sre.spec.service import Service

__all__ = ["ALERTMANAGER_FILE", "NOTES", "REMEDIATOR", "alertmanager_config"]

ALERTMANAGER_FILE = "alerts/alertmanager.yml"
REMEDIATOR = "sre-remediator"

# Why the timings are what they are; written at the top of the generated file.
NOTES = """\
group_by [alertname, <service labels>]: one notification per alert per pipeline, so a page
  names one problem; the remediation route uses '...' (no grouping) because the engine acts on
  each alert and deduplicates by fingerprint and episode itself.
group_wait 30s: long enough to batch the alerts of one bad run, short next to the 15 min P0
  response time. group_interval 5m: new alerts joining a group wait at most 5 minutes.
repeat_interval: critical 1h (a P0 must be acknowledged within 15 min; an hourly reminder while
  it burns), warning 4h (P1/P2 response times are 1 to 4 hours), info 24h (P3); remediation 1h
  (re-sends are safe: the engine acts once per episode).
inhibit: a critical alert mutes the warnings of the same pipeline (equal labels), e.g.
  PipelineDataCritical mutes PipelineDataStale; and a faster burn-rate tier of an SLO mutes its
  slower tiers (same slo and service labels), which say nothing new while it fires.
send_resolved on the remediation webhook: the engine closes its episode on resolution (it still
  post-checks in Prometheus before declaring an action done)."""


def alertmanager_config(service: Service, env: Environment) -> dict[str, Any]:
    """The Alertmanager config for `service` in `env`."""
    equal = sorted(service.labels)
    group_by = ["alertname", *equal]
    secrets = PurePosixPath(env.webhook_credentials_file).parent
    remediated = sorted({p.alertname for p in service.remediation})
    routes: list[dict[str, Any]] = []
    if remediated:
        routes.append(
            {
                "receiver": REMEDIATOR,
                "matchers": [f'alertname=~"{"|".join(remediated)}"'],
                "group_by": ["..."],
                "group_wait": "0s",
                "group_interval": "1m",
                "repeat_interval": "1h",
                "continue": True,
            }
        )
    routes += [
        {"receiver": "oncall-pager", "matchers": ['severity="critical"'], "repeat_interval": "1h"},
        {"receiver": "oncall-chat", "matchers": ['severity="warning"'], "repeat_interval": "4h"},
        {"receiver": "team-email", "matchers": ['severity="info"'], "repeat_interval": "24h"},
    ]
    email = next((c.address for c in service.contacts if c.role == "System Owner"), "")
    return {
        "global": {
            "resolve_timeout": "5m",
            "smtp_smarthost": "smtp.example.com:587",
            "smtp_from": f"alertmanager@{email.partition('@')[2] or 'example.com'}",
        },
        "route": {
            "receiver": "oncall-chat",
            "group_by": group_by,
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": routes,
        },
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"', *(f'{k}=~".+"' for k in equal)],
                "equal": equal,
            },
            *burn_tier_inhibitions(service),
        ],
        "receivers": [
            {
                "name": "oncall-pager",
                "pagerduty_configs": [
                    {
                        "routing_key_file": str(secrets / "pagerduty-routing-key"),
                        "send_resolved": True,
                    }
                ],
            },
            {
                "name": "oncall-chat",
                "slack_configs": [
                    {
                        "api_url_file": str(secrets / "slack-webhook-url"),
                        "channel": f"#{service.name}-alerts",
                        "send_resolved": True,
                    }
                ],
            },
            {
                "name": "team-email",
                "email_configs": [{"to": email or "team@example.com", "send_resolved": False}],
            },
            {
                "name": REMEDIATOR,
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
            },
        ],
    }
