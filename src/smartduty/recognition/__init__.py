"""Plate recognition: reading the plate from an officer's photo, offline."""
