"""R52: import contacts, companies, invoices (with their lines) and payments from CSV or XLSX."""
