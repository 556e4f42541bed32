"""CLI command groups, registered on ``tracker.cli.app`` through ``tracker.cli.COMMAND_MODULES``."""
