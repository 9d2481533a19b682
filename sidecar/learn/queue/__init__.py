"""Step 5: the durable job queue (transcript candidates) and the session-turn hand-off."""
