"""Tanzuji 碳足迹 — product carbon footprints (ISO 14067) and label certification."""

__version__ = "0.1.0"
