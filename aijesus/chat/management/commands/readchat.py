"""``manage.py readchat``: read chat into the question queue until stopped.

Live Twitch chat by default when CHAT_SOURCE=twitch, or a recorded chat with ``--replay FILE``
(or CHAT_SOURCE=replay and CHAT_REPLAY_FILE). SIGINT/SIGTERM stop it cleanly: what was read is
written before it exits.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from aijesus.chat.ingest import Ingestor
from aijesus.chat.models import ChatSettings
from aijesus.chat.replies import Replier
from aijesus.chat.sources.replay import ReplaySource
from aijesus.chat.sources.twitch import TwitchConfig, TwitchSource
from aijesus.chat.tokens import DatabaseTokenStore, bot_account
from aijesus.studio.models import Question

log = logging.getLogger("aijesus.chat")
WAIT_FOR_ACCOUNT = 5.0


class Command(BaseCommand):
    help = "Read Twitch chat (or replay a recorded chat) into the question queue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--replay", metavar="FILE.jsonl", help="Replay a recorded chat instead of Twitch."
        )
        parser.add_argument(
            "--speed",
            type=float,
            default=None,
            help="Replay speed: 2 = twice as fast, 0 = as fast as possible.",
        )
        parser.add_argument(
            "--stay", action="store_true", help="After a replay, keep running (aging, replies) until stopped."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        replay = options["replay"] or (settings.CHAT_REPLAY_FILE if settings.CHAT_SOURCE == "replay" else "")
        if settings.CHAT_SOURCE == "replay" and not replay:
            raise CommandError("CHAT_SOURCE=replay needs --replay FILE or CHAT_REPLAY_FILE")
        if replay and not Path(replay).is_file():
            raise CommandError(f"no such replay file: {replay}")
        if options["speed"] is not None and options["speed"] < 0:
            raise CommandError("--speed must be 0 or more")
        missing = [
            n
            for n in ("TWITCH_CLIENT_ID", "TWITCH_CLIENT_SECRET", "TWITCH_CHANNEL")
            if not getattr(settings, n)
        ]
        if not replay and missing:
            raise CommandError(f"CHAT_SOURCE=twitch needs {', '.join(missing)}")
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        if replay:
            self._replay(Path(replay), options, stop)
        else:
            self._twitch(stop)

    def _replay(self, path: Path, options: dict[str, Any], stop: threading.Event) -> None:
        speed = options["speed"] if options["speed"] is not None else settings.CHAT_REPLAY_SPEED
        replier = Replier(interval=settings.CHAT_REPLY_INTERVAL)
        ingestor = Ingestor(source=Question.Source.REPLAY, channel="replay", replier=replier).start()

        def show_replies() -> None:  # a replay has no chat to answer in: the replies go to the log
            while (text := replier.take()) is not None:
                log.info("reply (replay, not sent): %s", text)

        source = ReplaySource(path, speed=speed, on_tick=show_replies)
        self.stdout.write(f"Replaying {path} at speed {speed:g}…")
        try:
            source.run(ingestor, stop)
            ingestor.wait_idle(600)
            while options["stay"] and not stop.wait(0.5):
                show_replies()
        finally:
            ingestor.stop()
            show_replies()
        stats = ingestor.stats
        self.stdout.write(
            f"Replay done: {source.sent} events, {stats['questions']} questions "
            f"({stats['waiting_passed'] + stats['waiting_flagged']} waiting, {stats['dropped']} dropped, "
            f"{stats['merged']} merged), {stats['ignored']} not questions, {source.skipped} lines skipped."
        )

    def _twitch(self, stop: threading.Event) -> None:
        account = bot_account()
        waited = 0.0
        while account is None and not stop.is_set():
            if waited % 300 == 0:
                log.warning(
                    "no Twitch account connected yet: use 'Connect Twitch' on the dashboard's chat page"
                )
            stop.wait(WAIT_FOR_ACCOUNT)
            waited += WAIT_FOR_ACCOUNT
            account = bot_account()
        if account is None:
            return
        config = TwitchConfig(
            client_id=settings.TWITCH_CLIENT_ID,
            client_secret=settings.TWITCH_CLIENT_SECRET,
            channel=settings.TWITCH_CHANNEL.lower().lstrip("#"),
            bot_id=account.user_id,
        )
        replier = Replier(interval=settings.CHAT_REPLY_INTERVAL)
        ingestor = Ingestor(source=Question.Source.TWITCH, channel=config.channel, replier=replier).start()
        self.stdout.write(f"Reading Twitch chat of {config.channel} as {account.login}. Ctrl-C stops.")
        try:
            TwitchSource(config, DatabaseTokenStore(), replier=replier, holds_wanted=holds_wanted).run(
                ingestor, stop
            )
        finally:
            ingestor.stop()


def holds_wanted() -> bool:
    """Do moderators want Twitch AutoMod's held messages in the queue? (the chat page's switch)"""
    close_old_connections()
    return ChatSettings.load().automod_holds
