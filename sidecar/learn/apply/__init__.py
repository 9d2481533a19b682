"""Step 8: apply decisions through the store with provenance; the workers that feed the pipeline
(durable transcript jobs, session turns, and `add(infer=True)` conversations)."""
