"""How the pipeline is observed: metrics, traces, lineage and logs of every run and task."""
