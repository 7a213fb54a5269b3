"""Segmentation: zones from the inventory, a least-privilege allow-list from observed flows.

``zones`` places every host in one of seven zones (modality, archive, reading, AI, vendor
access, enterprise, internet); ``policy`` turns observed flows into allow rules and a "would
be blocked" list for review; ``export`` writes the plan as YAML, nftables or a Cisco-style
access list.
"""
