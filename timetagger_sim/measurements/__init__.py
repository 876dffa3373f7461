"""Measurement classes of the simulated library, grouped by what they compute."""
