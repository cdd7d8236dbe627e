"""The potato-weight-nutrition pipeline: bronze CSV drops become silver Parquet tables."""

__all__ = ["__version__"]

__version__ = "0.1.0"
