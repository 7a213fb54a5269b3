"""``python -m imagewarden``: the same command as the ``imagewarden`` console script."""

from imagewarden.cli.app import main

main()
