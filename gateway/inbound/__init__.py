"""Inbound SMS: stored first, reassembled, then answered and filed into conversations."""
