#!/usr/bin/env python3
"""Make the lottery's log key (or show the one there): the Ed25519 key that signs its log.

    python scripts/log_key.py --origin lottery.example.org/daily --out /secrets/log_key

Writes ``FILE`` (mode 0600) only if it does not exist, then prints the key's public verifier
key (vkey): publish that line where participants can pin it (docs/verifying.md). Point
LOTTERY_LOG_KEY_FILE at the file, and back it up with the database.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from record.notes import UnusableKey, signer_load


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--origin", required=True, help="the log's name, e.g. example.org/lottery")
    parser.add_argument("--out", type=Path, required=True, help="the private key file")
    args = parser.parse_args()
    try:
        signer = signer_load(args.out, origin=args.origin, create_as=args.origin)
    except UnusableKey as exc:
        print(exc, file=sys.stderr)
        return 2
    print(signer.verifier.vkey)
    return 0


if __name__ == "__main__":
    sys.exit(main())
