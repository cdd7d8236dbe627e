"""Spec as code: a service describes its SLOs, alerts, dashboards, runbook and remediation
policies with frozen dataclasses, validated when built; environments overlay values."""

from sre.spec.alert import Alert, BurnRate, Case, Priority, Threshold
from sre.spec.burn import BurnTier, default_tiers
from sre.spec.dashboard import Dashboard, Panel
from sre.spec.environment import RUNBOOK_PAGE, Environment
from sre.spec.load import load_service
from sre.spec.metric import Metric
from sre.spec.receiver import Receiver
from sre.spec.remediation import Limits, RemediationPolicy
from sre.spec.runbook import Contact, EscalationStep, PriorityLevel, Procedure, Section, slugify
from sre.spec.service import Service
from sre.spec.slo import SLO

__all__ = [
    "RUNBOOK_PAGE",
    "SLO",
    "Alert",
    "BurnRate",
    "BurnTier",
    "Case",
    "Contact",
    "Dashboard",
    "Environment",
    "EscalationStep",
    "Limits",
    "Metric",
    "Panel",
    "Priority",
    "PriorityLevel",
    "Procedure",
    "Receiver",
    "RemediationPolicy",
    "Section",
    "Service",
    "Threshold",
    "default_tiers",
    "load_service",
    "slugify",
]
