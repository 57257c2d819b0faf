"""`python -m fnet_keras.edge classify|evaluate ...`: the edge subcommands without the full CLI."""

from fnet_keras.edge.cli import main

raise SystemExit(main())
