"""Readers: each turns one source format into a RawDocument of blocks."""
