"""Unit tests of the vehicles app."""
