"""How the pipeline is observed: metrics, traces, lineage and logs of every run and task.

The package itself imports nothing, so `conventions` (which the service spec and the alert
generator import) stays cheap to load; `setup.instrumentation` assembles the observers.
"""
