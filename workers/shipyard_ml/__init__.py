"""Shipyard ML compute: pure functions (no Django), dataclasses in and out."""
