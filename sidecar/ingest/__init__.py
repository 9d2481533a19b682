"""Transcript ingestion: discover agent transcripts, parse them into candidates."""
