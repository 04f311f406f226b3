"""Durable delivery of chat updates: nothing acknowledged is lost, nothing is done twice.

- :mod:`.inbox`: an update is stored (committed) before the platform gets its 200 or
  the poller moves its offset; the platform's id of the update is the de-dup key.
- :mod:`.worker`: takes the oldest pending update of a chat no other worker holds
  (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite) and, in ONE
  transaction, runs the assistant, writes its evidence and quiz state, puts the
  replies in the outbox and marks the update processed.
- :mod:`.outbox`: sends the replies after commit, in order per chat, retrying with
  backoff until the Bot API takes them (at least once).
"""
