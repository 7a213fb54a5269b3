"""demo capability: the embedded demo enterprise and a generator of larger ones."""

from imagewarden.demo.enterprise import demo_inventory, generate_enterprise, write_demo_inventory

__all__ = ["demo_inventory", "generate_enterprise", "write_demo_inventory"]
