"""The server backend: PostgreSQL + pgvector (mem0's ``pgvector`` provider) shared by several daemons."""
