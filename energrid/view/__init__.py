"""The 3D/VR web view: the HTTP server of its page and the `energrid view` command."""
