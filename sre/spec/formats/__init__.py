"""Spec front ends: a YAML service file of our own (`apiVersion: sre/v1`), OpenSLO v1, and
Python; each loads into the same frozen spec types (`sre.spec`)."""
