"""The one MQTT connection and its helpers: paho's client, reasons, redelivery, flapping."""
