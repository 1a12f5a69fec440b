"""The Mosquitto Energrid uses or runs: start-up, configuration, ports, accounts."""
