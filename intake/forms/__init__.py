"""WTForms classes: they check the shape of input, never the database."""
