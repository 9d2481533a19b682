"""The local LLM (Ollama) used by the judge, the reconciler and the summariser when configured."""
