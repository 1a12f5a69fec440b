"""Simulated house boards: they speak the boards' MQTT messages and obey their commands.

table.py     the parameter table: how each device type behaves, in numbers
clock.py     simulated time (time factor, injectable wall clock)
consumers.py, suppliers.py   the behaviour models
wire.py      encoding a reading in the legacy or the per-device format
board.py     SimHouse: one house's board
board_client.py  one board's MQTT connection (the only simulator module importing paho)
fleet.py     the boards on the broker and the schedule of their readings
cli.py       `energrid sim`
"""
