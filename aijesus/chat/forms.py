"""The chat settings form on the dashboard."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from aijesus.chat.models import ChatSettings

BANNED_WORDS_MAX = 20_000  # characters in the list


class ChatSettingsForm(forms.ModelForm):
    class Meta:
        model = ChatSettings
        fields = [
            "mode",
            "require_prefix",
            "command_prefix",
            "cooldown_seconds",
            "pending_cap",
            "min_chars",
            "max_chars",
            "drop_links",
            "injection",
            "moderation_check",
            "guardrail_check",
            "automod_check",
            "automod_holds",
            "replies",
            "banned_words",
        ]
        widgets = {
            "mode": forms.RadioSelect,
            "injection": forms.RadioSelect,
            "banned_words": forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        }
        labels = {
            "require_prefix": "Only messages with the command prefix are questions",
            "cooldown_seconds": "Cooldown per viewer (seconds)",
            "pending_cap": "Most chat questions waiting",
            "min_chars": "Shortest question (letters or digits)",
            "max_chars": "Longest question (characters)",
            "drop_links": "Drop messages with links",
            "injection": "Suspected prompt injection",
            "moderation_check": "OpenAI moderation check",
            "guardrail_check": "LLM guardrail (injection, off-topic)",
            "automod_check": "Twitch AutoMod check",
            "automod_holds": "Messages Twitch AutoMod holds, in our queue",
            "replies": "Reply in chat (place in queue, answered on air)",
        }

    def clean_command_prefix(self) -> str:
        prefix = self.cleaned_data["command_prefix"].strip()
        if any(ch.isspace() for ch in prefix):
            raise forms.ValidationError("The prefix is one word, e.g. !ask")
        return prefix

    def clean_banned_words(self) -> str:
        words = self.cleaned_data["banned_words"]
        if len(words) > BANNED_WORDS_MAX:
            raise forms.ValidationError(f"At most {BANNED_WORDS_MAX} characters")
        return "\n".join(line.strip() for line in words.splitlines() if line.strip())

    def clean_max_chars(self) -> int:
        value = self.cleaned_data["max_chars"]
        if value > settings.QUESTION_MAX_CHARS:
            raise forms.ValidationError(
                f"The studio takes at most {settings.QUESTION_MAX_CHARS} (QUESTION_MAX_CHARS)"
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("require_prefix") and not data.get("command_prefix"):
            self.add_error("command_prefix", "Set the prefix that marks a question")
        low, high = data.get("min_chars"), data.get("max_chars")
        if low is not None and high is not None and low >= high:
            self.add_error("min_chars", "Must be less than the longest question")
        return data
