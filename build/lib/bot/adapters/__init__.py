"""Thin platform adapters: they turn platform events into IncomingMessage and render Reply."""
