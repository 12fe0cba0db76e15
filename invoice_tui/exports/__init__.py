"""R22 exports: CSV and XLSX writers, the export column catalogue, header labels — no textual.

``service.run_export`` is the one entry point (TUI dialog, CLI, tests)."""
