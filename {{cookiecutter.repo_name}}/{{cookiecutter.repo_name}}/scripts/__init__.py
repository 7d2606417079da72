"""Command-line tools, run with ``python -m`` (the Makefile's targets): the
production server (``serve``), sample data (``seed``), the load test
(``bench``), the static-file build (``fingerprint``)."""
