"""Consent and sending rules: opt-out keywords, quiet hours, frequency caps, the send gate."""
