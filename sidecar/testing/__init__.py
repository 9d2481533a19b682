"""Test helpers shipped with the package: real daemons in temp homes (:mod:`.daemons`), waiting on
conditions with a load-proof limit (:mod:`.waiting`, ``$SIDECAR_TEST_READY_S``), an in-memory
store for op-level tests (:mod:`.fake_store`), ops run in-process as a worker runs them
(:mod:`.op_calls`), and a stand-in Ollama server for the Ollama path (:mod:`.ollama_server`)."""
