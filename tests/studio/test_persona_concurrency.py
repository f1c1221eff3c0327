"""Persona saves at the same time, on two real connections: each becomes a version with a number of its
own, and none undoes what the other (or an activation made meanwhile) changed.

The first save is stopped by a `Gate` just before it inserts its version, holding whatever lock it
took; the second runs until it finishes or waits for that lock; then the first goes on.
"""

import threading

import pytest
from django.db.models.signals import pre_save
from django.test import Client
from django.urls import reverse

from aijesus.studio.models import Persona, PersonaVersion
from tests.studio.concurrency import Gate, Worker, finish_workers, wait_until_stuck
from tests.studio.test_personas_views import form_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def gate():
    """Stops the thread named "first" as it is about to insert a persona version."""
    stop = Gate()

    def before_insert(sender, instance, **kwargs) -> None:
        if threading.current_thread().name == "first":
            stop.stop_here()

    pre_save.connect(before_insert, sender=PersonaVersion, weak=False, dispatch_uid="test-persona-gate")
    yield stop
    stop.opened.set()
    finish_workers()
    pre_save.disconnect(sender=PersonaVersion, dispatch_uid="test-persona-gate")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def run_first_then_second(gate: Gate, first, second) -> tuple[Worker, Worker]:
    """`first` up to its version insert, then `second` as far as it can go, then both to the end."""
    one = Worker(first, name="first")
    one.start()
    gate.wait_reached()
    two = Worker(second, name="second")
    two.start()
    wait_until_stuck(two)
    gate.opened.set()
    one.join()
    two.join()
    return one, two


def test_it_numbers_two_simultaneous_saves_one_after_the_other(persona, moderator, gate):
    mine, theirs = Persona.objects.get(pk=persona.pk), Persona.objects.get(pk=persona.pk)
    mine.system_prompt = "Mine."
    theirs.banned_words = "theirs"

    one, two = run_first_then_second(
        gate, lambda: mine.save_version(note="mine"), lambda: theirs.save_version(note="theirs")
    )

    assert (one.outcome().number, two.outcome().number) == (2, 3)
    numbers = list(persona.versions.order_by("number").values_list("number", "note"))
    assert numbers == [(1, "installed default"), (2, "mine"), (3, "theirs")]


def test_it_tells_the_second_of_two_simultaneous_editors_instead_of_failing(persona, moderator, gate):
    """Both open v1. The second's save waits for the first's, then is refused as a conflict."""
    url = reverse("persona-edit", args=[persona.pk])
    first, second = client_for(moderator), client_for(moderator)
    mine, theirs = form_data(persona, system_prompt="First."), form_data(persona, system_prompt="Second.")

    one, two = run_first_then_second(gate, lambda: first.post(url, mine), lambda: second.post(url, theirs))

    assert one.outcome().status_code == 302
    refused = two.outcome()
    assert refused.status_code == 409
    assert "mod saved v2 while you were editing v1" in refused.content.decode()
    persona.refresh_from_db()
    assert persona.system_prompt == "First."
    assert list(persona.versions.values_list("number", flat=True)) == [2, 1]


def test_it_refuses_a_name_taken_by_a_persona_created_at_the_same_moment(persona, moderator, gate):
    url = reverse("persona-new")
    first, second = client_for(moderator), client_for(moderator)
    mine, theirs = (form_data(persona, name="Narrator", system_prompt=text) for text in ("First.", "Second."))
    del mine["based_on"], theirs["based_on"]

    one, two = run_first_then_second(gate, lambda: first.post(url, mine), lambda: second.post(url, theirs))

    assert one.outcome().status_code == 302
    refused = two.outcome()
    assert refused.status_code == 400
    assert "Another persona already has this name" in refused.content.decode()
    assert Persona.objects.get(name="Narrator").system_prompt == "First."


def test_it_refuses_a_rename_to_a_name_taken_at_the_same_moment(persona, moderator, gate):
    first, second = client_for(moderator), client_for(moderator)
    created = form_data(persona, name="Narrator", system_prompt="You narrate.")
    del created["based_on"]
    renamed = form_data(persona, name="Narrator")

    one, two = run_first_then_second(
        gate,
        lambda: first.post(reverse("persona-new"), created),
        lambda: second.post(reverse("persona-edit", args=[persona.pk]), renamed),
    )

    assert one.outcome().status_code == 302
    refused = two.outcome()
    assert refused.status_code == 400
    assert "Another persona already has this name" in refused.content.decode()
    persona.refresh_from_db()
    assert (persona.name, persona.versions.count()) == ("Jesus", 1)


def test_a_save_keeps_an_activation_made_since_the_persona_was_loaded(persona, moderator):
    paul = Persona.objects.create(name="Paul", system_prompt="You are Paul.")
    editing = Persona.objects.get(pk=paul.pk)  # loaded while inactive
    activation = Worker(lambda: Persona.objects.get(pk=paul.pk).activate(), name="activation")
    activation.start()
    activation.outcome()

    editing.system_prompt = "You are the apostle Paul."
    version = editing.save_version(by=moderator)

    assert list(Persona.objects.filter(is_active=True)) == [paul]
    assert version.data["system_prompt"] == "You are the apostle Paul."


def test_a_save_of_a_persona_switched_off_meanwhile_neither_fails_nor_switches_it_back_on(persona):
    """An approval saves the first version of the persona it found active, while a moderator
    activates another one."""
    stale = Persona.objects.active()
    paul = Persona.objects.create(name="Paul", system_prompt="You are Paul.")
    activation = Worker(lambda: Persona.objects.get(pk=paul.pk).activate(), name="activation")
    activation.start()
    activation.outcome()

    version = stale.save_version(note="first version")

    assert version.number == 2
    assert list(Persona.objects.filter(is_active=True)) == [paul]


def test_a_first_version_is_taken_from_the_row_as_it_is_now(persona, moderator):
    """A copy loaded before someone changed the persona must not record (or write back) old values."""
    paul = Persona.objects.create(name="Paul", system_prompt="You are Paul.")
    stale = Persona.objects.get(pk=paul.pk)
    Persona.objects.filter(pk=paul.pk).update(system_prompt="You are the apostle Paul.")

    version = stale.ensure_version(by=moderator, note="first version")

    assert (version.number, version.data["system_prompt"]) == (1, "You are the apostle Paul.")
    assert Persona.objects.get(pk=paul.pk).system_prompt == "You are the apostle Paul."
    assert stale.ensure_version(by=moderator) == version  # it has one now: no second
