"""The personalised mesothelioma guide: which chapters a reader gets, rendered to PDF elsewhere."""
