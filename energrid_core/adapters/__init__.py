"""Devices people already own (Tasmota, Shelly) bound to Energrid's consumers."""
