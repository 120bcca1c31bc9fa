"""The live event bus behind the UI's server-sent events."""

from __future__ import annotations

from gateway.events import EventBus


def test_subscribers_get_events_published_after_they_joined() -> None:
    bus = EventBus()
    bus.publish("message.received", {"id": 0})
    with bus.subscribe() as first, bus.subscribe() as second:
        bus.publish("message.received", {"id": 1})
        for subscription in (first, second):
            event = subscription.get(timeout=1)
            assert event is not None
            assert (event.type, event.data) == ("message.received", {"id": 1})
        assert first.get(timeout=0) is None


def test_a_slow_subscriber_loses_its_oldest_events_and_is_told() -> None:
    bus = EventBus(queue_size=2)
    with bus.subscribe() as slow:
        for n in range(5):
            bus.publish("message.status", {"id": n})
        kept = [slow.get(timeout=1) for _ in range(2)]
        assert [e.data["id"] for e in kept if e is not None] == [3, 4]
        assert slow.lost == 3


def test_closed_subscriptions_get_nothing() -> None:
    bus = EventBus()
    subscription = bus.subscribe()
    subscription.close()
    bus.publish("message.received", {})
    assert subscription.get(timeout=0) is None
