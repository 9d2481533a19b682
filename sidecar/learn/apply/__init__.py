"""Step 8: apply decisions through the store, record provenance; the background gate worker."""
