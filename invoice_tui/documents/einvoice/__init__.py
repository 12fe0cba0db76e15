"""E-invoices (R44, R45): EN 16931 documents written as CII (embedded in Factur-X) and UBL 2.1,
read back, and validated offline against the XSD, the EN 16931 and the French BR-FR rules."""
