"""Step 5: the durable job queue of transcript candidates, and the files' read cursors."""
