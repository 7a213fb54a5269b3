"""Safe active discovery of DICOM, DICOMweb, HL7 and admin services inside a declared scope."""
