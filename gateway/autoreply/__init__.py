"""Answers sent on the business's behalf when nobody is there to reply."""
