"""Automated remediation: its metric names and the alerts that watch it (the engine comes later)."""

from sre.remediation.conventions import METRICS, SERIES
from sre.remediation.watch import remediator_alerts, remediator_panel

__all__ = ["METRICS", "SERIES", "remediator_alerts", "remediator_panel"]
