"""The studio's LLM for the fault matrix: the tests' local OpenAI-compatible server, answering each
question from a script keyed by a ticket word in the question ("ticket7"), so a row can hold or
cut the answer to one question (or to its first attempt only) whatever order the builds run in.
"""

from __future__ import annotations

import collections
import re
import threading
from typing import Any

from tests.builder.llm.fake_openai import FakeChatServer, Reply, stream
from tests.faults.studio import held

# Four segments, so a clip cut at a segment boundary is heard short, not empty.
ANSWER = [
    # A comma past the chunker's first 40 characters: a held answer has its first segment built.
    "Peace is a quiet heart that trusts the one who made it, and it stays. ",
    "It grows each time we forgive. ",
    "Go gently, and share it today.",
]
_TICKET = re.compile(r"ticket(\d+)")


class _Script:
    """Stands in for the server's reply queue: never empty, it answers the request just recorded
    (the server pops under the lock it recorded it with) from the replies queued for its ticket."""

    def __init__(self, server: FakeChatServer) -> None:
        self.server = server
        self.queued: dict[int, collections.deque[Reply]] = collections.defaultdict(collections.deque)

    def __bool__(self) -> bool:
        return True

    def popleft(self) -> Reply:
        body: dict[str, Any] = self.server.requests[-1]["body"] or {}
        text = " ".join(
            str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "user"
        )
        found = _TICKET.search(text)
        replies = self.queued.get(int(found.group(1))) if found else None
        return replies.popleft() if replies else stream(ANSWER)


class ScriptedLLM:
    """One server for the whole bench; `hold(ticket)` / `cut(ticket)` script that ticket's next
    request; every other request gets the whole three-sentence ANSWER."""

    def __init__(self) -> None:
        self.server = FakeChatServer()
        self.script = _Script(self.server)
        self.server.replies = self.script  # type: ignore[assignment]
        self.gates: list[threading.Event] = []

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> ScriptedLLM:
        self.server.start()
        return self

    def stop(self) -> None:
        self.release_all()
        self.server.stop()

    def hold(self, ticket: int, *, cut: bool = False, silent: bool = False) -> threading.Event:
        """Ticket's next answer streams its first sentence (two when `cut`, none when `silent`)
        and waits for the returned gate; then it finishes, or (cut) the connection drops
        mid-answer."""
        gate = threading.Event()
        self.gates.append(gate)
        first = ANSWER[:2] if cut else [] if silent else ANSWER[:1]
        self.script.queued[ticket].append(held(first, gate, None if cut else ANSWER[len(first) :], cut=cut))
        return gate

    def release_all(self) -> None:
        for gate in self.gates:  # a held answer lets go, so its thread ends
            gate.set()
