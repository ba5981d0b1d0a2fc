"""Executable criteria: criterion ids, compiled trees, evaluation and outcome changes."""
