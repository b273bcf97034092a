"""``python -m lightnets.cli``: the console script, for ``torchrun -m lightnets.cli train ...``."""

import sys

from . import main

sys.exit(main())
