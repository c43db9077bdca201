"""Prefect flows and the `govreports` command line."""

__version__ = "0.1.0"
