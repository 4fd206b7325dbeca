"""HTTP entrypoints: one Chalice blueprint per feature, built on ``api.framework``."""
