"""Energrid's core: the grid model, the wire formats and the MQTT client."""
