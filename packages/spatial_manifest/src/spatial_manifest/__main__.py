from spatial_manifest.cli import main

raise SystemExit(main())
