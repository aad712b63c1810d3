"""`make bench`: what kasir costs per request next to the cheapest request the same server answers.

The benchmark itself is the package beside this file, `kasir_bench` (its docstring lists the
modules); this script is its command line. `python bench/run.py --help` lists the options.
"""

import sys

from kasir_bench import processes
from kasir_bench.cli import main

if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        processes.stop_all()
