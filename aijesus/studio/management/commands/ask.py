from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aijesus.studio.models import IllegalTransition, StaleState
from aijesus.studio.services import SubmissionError, question_approve, question_submit


class Command(BaseCommand):
    help = "Put a question in the queue, as chat would (and optionally approve it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", help="The question, as a viewer would type it.")
        parser.add_argument("--user", default="studio", help="Viewer name shown with the question.")
        parser.add_argument("--approve", action="store_true", help="Approve it at once (queues its clip).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            question = question_submit(text=options["text"], viewer_name=options["user"])
            message = f"question #{question.pk} from {question.viewer_name} is {question.status}"
            if options["approve"]:
                clip = question_approve(question=question)
                message = f"question #{question.pk} approved; clip #{clip.pk} queued for building"
        except (SubmissionError, IllegalTransition, StaleState) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(message)
