"""Scheduled content about the rhythm of releases: email digests, the weekly pulse, quiet/burst alerts."""
