"""Email: named message kinds rendered from ``templates/<kind>/`` and sent over SMTP."""
