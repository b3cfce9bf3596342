"""tutorial_lib: the library behind "From Words to Pixels".

Modules are named by concept (data, text models, training, metrics, pictures), not by chapter;
each chapter's notebook calls them. `python -m tutorial_lib --help` lists the command-line jobs.
"""

import os

__version__ = "0.1.0"

# Torch's threads wait for each other at the end of every operator. OpenMP's default is to spin
# for a long while first, which, when another process holds a core, burns the core the late
# thread needs: measured, training steps three to four times slower. A short spin, then sleep,
# keeps that to under twice (analysis/shared_machine.py measures it; `make bench` reports it).
# OpenMP reads this once, when torch is first imported; a value the user set wins.
os.environ.setdefault("GOMP_SPINCOUNT", "300")
