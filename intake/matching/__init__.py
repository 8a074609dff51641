"""Pure specialist matching: ZIP geometry and ranking rules, no Flask or database."""
