"""Slack: Block Kit builders and renderers (pure), the Web API and webhook funnels, release threads, the notifier."""
