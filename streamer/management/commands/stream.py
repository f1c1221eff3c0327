"""`manage.py stream`: the broadcast daemon, or (with a control flag) one command to it."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from streamer import control


class Command(BaseCommand):
    help = (
        "Broadcast: one continuous stream to RTMP and/or a local HLS preview, answers first, the idle "
        "loop otherwise. One streamer broadcasts per studio: a second one stands by and takes over "
        "when the first stops. With --skip/--pause/--resume/--reair, send that command to the running "
        "streamer and exit. The stream key is read from STREAM_KEY only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", choices=["preview", "rtmp", "both"], help="default STREAM_OUTPUT")
        parser.add_argument("--rtmp", metavar="URL", help="ingest URL without the key (implies rtmp)")
        parser.add_argument("--width", type=int)
        parser.add_argument("--height", type=int)
        parser.add_argument("--fps", type=int)
        parser.add_argument("--video-bitrate", help="e.g. 3000k (CBR)")
        parser.add_argument("--preset", help="x264 preset, e.g. veryfast")
        parser.add_argument("--duration", type=float, help="stop after this many seconds")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--skip", action="store_true", help="skip the clip on air")
        group.add_argument("--pause", action="store_true", help="play no answers (idle loop only)")
        group.add_argument("--resume", action="store_true", help="play answers again")
        group.add_argument("--reair", type=int, metavar="CLIP_ID", help="air a past clip again")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("skip", "pause", "resume"):
            if options[name]:
                control.send(name)
                self.stdout.write(f"sent {name}")
                return
        if options["reair"] is not None:
            control.send("reair", clip=options["reair"])
            self.stdout.write(f"sent reair of clip {options['reair']}")
            return
        self._broadcast(options)

    def _broadcast(self, options: dict[str, Any]) -> None:
        from django.conf import settings

        from streamer.config import idle_source, stream_format, stream_outputs
        from streamer.playout import Playout
        from streamer.runner import Streamer

        # --rtmp alone means "to this server"; with STREAM_OUTPUT=both the preview stays on.
        rtmp_mode = "both" if settings.STREAM_OUTPUT == "both" else "rtmp"
        mode = options["output"] or (rtmp_mode if options["rtmp"] else None)
        try:
            fmt = stream_format(
                width=options["width"],
                height=options["height"],
                fps=options["fps"],
                video_bitrate=options["video_bitrate"],
                preset=options["preset"],
            )
            outputs = stream_outputs(mode, options["rtmp"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        if options["duration"]:
            threading.Timer(options["duration"], stop.set).start()
        self.stderr.write(f"stream: {fmt.width}x{fmt.height}@{fmt.fps} to {outputs.describe()}")
        playout = Playout(margin=settings.STREAM_EARLY_START_MARGIN, lead=settings.STREAM_EARLY_START_LEAD)
        Streamer(fmt, outputs, idle_source(fmt), playout=playout).run(stop)
        self.stderr.write("stream: stopped")
