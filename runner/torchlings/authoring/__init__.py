"""Course authors' tools: dev check, dev mutate, dev new."""
