from polytrack.cli import main

raise SystemExit(main())
