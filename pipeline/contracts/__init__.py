"""Data contracts as code: one per bronze file and one per silver table."""
