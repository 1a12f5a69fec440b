"""A city of neighborhoods: each neighborhood's broker bridged to one city broker, one city view.

- `topics`: the city's topics (the bridge's notification, the city view's subscriptions);
- `bridge_config` and `bridge_cli`: `energrid bridge`, the Mosquitto bridge section of an edge;
- `city_state` and `city_view`: the city rebuilt from the bridged state topics, and its text;
- `city_client` and `city_command`: the city view's MQTT client, and a command sent from it;
- `city_cli`: `energrid city`.
"""
