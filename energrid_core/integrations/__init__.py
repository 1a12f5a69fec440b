"""Energrid seen from other systems: Home Assistant's MQTT discovery."""
