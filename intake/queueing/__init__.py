"""Pure rules of the callback queue: priority, retry gaps, shifts (no Flask or database)."""
