"""Unit tests of the recognition app."""
