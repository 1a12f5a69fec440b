"""The retained state topics: what is published for clients, when, and in which payloads."""
