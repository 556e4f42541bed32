"""Slack: Block Kit builders (pure) and the notifier that posts, threads and updates messages."""
