"""Energrid: what a person touches - shell, commands, demo, simulator, broker start-up, CLI."""
