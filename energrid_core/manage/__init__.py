"""Managing the grid: energy, device types, limits and alarms, load shedding."""
