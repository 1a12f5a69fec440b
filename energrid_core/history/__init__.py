"""Readings over time on disk: recorded in blocks, downsampled by age, read back for plots."""
