"""Parking: illegal-parking report → owner SMS → 10-minute deadline → re-check → printed notice."""
