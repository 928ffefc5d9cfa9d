#!/usr/bin/env python
import sys

from lottery_app.cli import main

if __name__ == "__main__":
    main(sys.argv)
