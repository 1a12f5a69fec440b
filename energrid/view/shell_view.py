"""The view served by the shell while it is open: started by the first startDemo(), so that a
presenter opens the printed address and sees the demo in 3D without a second terminal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from energrid.shell import output as out
from energrid.shell.words import w
from energrid.view.cli import page_config
from energrid.view.server import ViewServer
from energrid_core.config import Settings
from energrid_core.errors import EnergridError


class ShellView:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.server: ViewServer | None = None

    def ensure(self) -> str:
        """Serve the view if it is not served yet; the line telling where it is (or why not)."""
        if self.server is None:
            server = ViewServer(page_config(self.settings), self.settings.view_port)
            try:
                server.start()
            except EnergridError as exc:
                return w("view not served", reason=exc)
            self.server = server
        return w("view served", url=self.server.url)

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


def with_view(start_demo: Callable[..., None], view: ShellView) -> Callable[..., None]:
    """startDemo() that also serves the view and prints its address after the demo started."""

    def start(*args: Any, **kwargs: Any) -> None:
        start_demo(*args, **kwargs)
        out.say(view.ensure())

    return start
