"""Check helpers shared by several chapters, grouped by topic (one module each)."""
