"""Mechanics several steps share: endpoint changes, waits, locks, bakes, decisions."""
