"""The pipeline's tasks, one per module, run in order by `pipeline.runner`."""
