"""Query objects over the read models: what the application services read."""
