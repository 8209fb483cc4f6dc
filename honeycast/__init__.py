"""honeycast: see where SSH brute-force attacks come from."""

__version__ = "0.1.0"
