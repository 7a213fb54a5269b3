"""Passive traffic analysis: what really flows between imaging systems, read from captures.

A capture (pcap or pcapng, one file or a folder of rotated files) is read in one pass with
bounded memory: our own pcap reader on the hot path, per-connection TCP reassembly, and our
own DICOM upper-layer parser that reads association requests and DIMSE command sets and skips
every data set without copying it. TLS hellos, HL7 MLLP frames and plain-HTTP DICOMweb
requests are recognised on any port. Patient data is never decoded, stored or printed.

The facts (who talks to whom, with which AE titles and operations, encrypted or not) become
flows in the store, unmanaged assets for hosts nobody listed, observations, findings, a flow
map and a least-privilege segmentation policy (``imagewarden.traffic.segmentation``).
"""
