"""Outbound calls: other HTTP services (``upstream``) and several backends at
once from one request (``fanout``, threads or greenlets per the server)."""
