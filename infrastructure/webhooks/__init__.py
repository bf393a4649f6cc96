"""Webhook delivery: the outbox, the worker, the signed sender and its HTTP client."""
