"""Feed readers: one module per format, each a stream of records from one file."""
