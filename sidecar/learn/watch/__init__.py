"""Step 1: discover agent transcripts and read what is new in them."""
