import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the broadcast (placeholder: the ffmpeg streamer is not built yet)."

    def handle(self, *args: Any, **options: Any) -> None:
        # Kept running (not exiting) so the process runner does not stop the whole studio.
        self.stderr.write(
            self.style.WARNING(
                "stream: PLACEHOLDER — the ffmpeg streamer is not built yet; nothing is being "
                "broadcast. This process only waits for Ctrl-C / SIGTERM."
            )
        )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        stop.wait()
        self.stderr.write("stream: stopped")
