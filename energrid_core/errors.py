"""One error family. Messages are written for the person at the keyboard, on one line."""


class EnergridError(Exception):
    """Base of every error Energrid reports to a person."""


class BadArgumentError(EnergridError):
    """A command got an argument of the wrong kind or value."""


class UnknownHouseError(EnergridError):
    """No house with that number."""


class UnknownDeviceError(EnergridError):
    """No consumer or supplier with that number in the house."""


class BrokerUnavailableError(EnergridError):
    """The MQTT broker cannot be reached or started."""


class StoreError(EnergridError):
    """The grid could not be read from or saved to the state directory."""


class AnotherServerError(EnergridError):
    """Another server's retained status says it serves this neighborhood on this broker."""
