"""`python -m cnnviz.cli ...` runs the `cnnviz` command (the tests and benchmarks use it)."""

from cnnviz.cli.main import main

raise SystemExit(main())
