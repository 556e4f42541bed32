"""Email: delivery kinds rendered from ``templates/<kind>/``, built into MIME and sent over SMTP."""
