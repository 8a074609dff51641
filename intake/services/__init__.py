"""State-changing operations: they flush, the caller commits."""
