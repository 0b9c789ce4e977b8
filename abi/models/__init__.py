"""Model file readers and verifiers (pure Python, no ML runtime imports)."""
