import sys

from timbra.cli import main

sys.exit(main())
