"""Step 7: compare a fact with the nearest memories and choose ADD / UPDATE / DELETE / NONE."""
