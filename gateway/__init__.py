"""Cellgate's core: models, queue, dispatcher, inbound pipeline, compliance, CLI.

Never imports flask or web/: the web layer calls into this package, not the other way.
"""

__version__ = "0.1.0"
