"""The built-in remediation actions, one module each (plugins come through the `sre.actions`
entry-point group; see `sre.remediation.registry`)."""
