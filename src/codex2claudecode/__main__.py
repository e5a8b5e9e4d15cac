from codex2claudecode.cli import main

raise SystemExit(main())
