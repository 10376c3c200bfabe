"""A lower-back-pain advice bot for running clubs: a platform-neutral core with thin adapters."""
