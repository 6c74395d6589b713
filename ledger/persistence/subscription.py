"""The subscriptions behind the projection runner: the library's listen/notify subscription,
with a pull that moves past the events it does not want.

The library's subscription remembers the position of the last event it *returned*. A
projection that wants some topics only (the record view wants career events, not access-log
reads or key events) therefore starts every pull from its last wanted event: once the API
has logged a hundred thousand reads since the last career event, each wake-up — one per
commit — scans them all again, and the database spends its time on that scan (12 ms a pull,
growing, in the API load test). Here a pull reads the log's highest position first and, when
it finds less than a page of wanted events up to it, moves the subscription past that
position: every event up to it has been looked at. That is safe because the ledger commits
in position order (``LedgerPostgresRecorder`` holds the table lock from numbering to commit;
SQLite has one writer), so no event at or below a visible highest position can appear later.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import ListenNotifySubscription, ShutDown

__all__ = ["pull_past_unwanted"]


def pull_past_unwanted(subscription: ListenNotifySubscription[Any]) -> None:
    """The body of ``ListenNotifySubscription._pull``, bounded by the highest position and
    moving past it when the last page is short."""
    s = subscription
    while not s._has_been_stopped:
        s._has_been_notified.clear()
        highest = s._recorder.max_notification_id() or 0
        notifications = s._recorder.select_notifications(
            start=s._last_notification_id or 0, limit=s._select_limit, stop=highest,
            topics=s._topics, inclusive_of_start=False)
        if notifications:
            try:
                s._notifications_queue.put(notifications)
            except ShutDown:
                break
            s._last_notification_id = notifications[-1].id
        if len(notifications) < s._select_limit:
            s._last_notification_id = max(s._last_notification_id or 0, highest)
            break
