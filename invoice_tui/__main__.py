from invoice_tui.cli import main

raise SystemExit(main())
