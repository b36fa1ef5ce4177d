"""A test-only app that lets the worker tests kill the worker at a precise moment."""
