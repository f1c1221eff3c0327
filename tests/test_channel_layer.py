"""The Channels layer is the real Redis one, and a group message round-trips through it."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer


def test_a_group_message_round_trips_through_redis():
    async def scenario():
        layer = get_channel_layer()
        assert isinstance(layer, RedisChannelLayer)
        channel = await layer.new_channel()
        await layer.group_add("studio.test", channel)
        await layer.group_send("studio.test", {"type": "studio.changed", "topic": "queue"})
        message = await layer.receive(channel)
        await layer.group_discard("studio.test", channel)
        return message

    assert async_to_sync(scenario)() == {"type": "studio.changed", "topic": "queue"}


@pytest.mark.django_db(transaction=True)
def test_the_broadcast_waits_for_the_commit():
    from django.db import transaction

    from aijesus.studio.broadcast import DASHBOARD_GROUP, broadcast_on_commit

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(DASHBOARD_GROUP, channel)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            broadcast_on_commit("rolled-back")
            raise RuntimeError("abort")
        with transaction.atomic():
            broadcast_on_commit("committed")
        message = async_to_sync(layer.receive)(channel)
        assert message["topic"] == "committed"
    finally:
        async_to_sync(layer.group_discard)(DASHBOARD_GROUP, channel)
