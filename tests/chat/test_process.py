"""`make run` adds a chat reader only when there is chat to read."""

from django.test import override_settings

from aijesus.chat.process import chat_command

TWITCH = {"TWITCH_CLIENT_ID": "id", "TWITCH_CLIENT_SECRET": "secret", "TWITCH_CHANNEL": "chan"}


@override_settings(CHAT_SOURCE="replay", CHAT_REPLAY_FILE="")
def test_a_fresh_machine_runs_no_reader():
    assert chat_command() is None


@override_settings(CHAT_SOURCE="twitch", TWITCH_CLIENT_ID="", TWITCH_CLIENT_SECRET="", TWITCH_CHANNEL="chan")
def test_twitch_without_credentials_runs_no_reader():
    assert chat_command() is None


@override_settings(CHAT_SOURCE="twitch", **TWITCH)
def test_twitch_with_credentials_reads_chat():
    assert chat_command() == "python manage.py readchat"


@override_settings(CHAT_SOURCE="replay", CHAT_REPLAY_FILE="aijesus/chat/samples/demo.jsonl")
def test_a_replay_file_is_replayed_and_the_reader_stays():
    assert chat_command() == "python manage.py readchat --stay"
