"""Vulnerability intelligence: NVD, CISA KEV, EPSS and CSAF matched to imaging assets."""
