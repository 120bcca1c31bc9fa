"""pyserial URL handlers of Cellgate (``serial.protocol_handler_packages``)."""
