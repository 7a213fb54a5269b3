"""The demo lab: real pynetdicom SCPs with personas on 127.0.0.x, started and stopped in-process."""
