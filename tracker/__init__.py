"""tracker: event-driven release tracker for open-weight AI models."""

__version__ = "0.1.0"
