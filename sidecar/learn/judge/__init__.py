"""Step 6: judges that decide whether an utterance holds a durable, reusable fact."""
