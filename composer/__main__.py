from composer.main import main

raise SystemExit(main())
