"""Hardware: AT protocol, PDU codec, serial modem driver, vendor profiles, simulator.

Never imports gateway/ or a database; knows nothing of contacts or campaigns.
"""
