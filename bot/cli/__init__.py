"""The command line (`python -m bot ...`): the only place that exits."""
