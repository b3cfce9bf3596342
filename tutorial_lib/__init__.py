"""tutorial_lib: the library behind "From Words to Pixels".

Modules are named by concept (data, text models, training, metrics, pictures), not by chapter;
each chapter's notebook calls them. `python -m tutorial_lib --help` lists the command-line jobs.
"""

__version__ = "0.1.0"
