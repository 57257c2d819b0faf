"""`python -m fnet_keras.quickstart`: the quickstart before `fnet-keras quickstart` is wired (temporary).

Handles errors as `fnet_keras.cli.main` does: `error: <message>` and the error's exit code.
"""

import argparse
import sys

from fnet_keras.errors import FnetKerasError
from fnet_keras.quickstart.command import add_arguments, run
from fnet_keras.quiet import quiet_native_output


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fnet_keras.quickstart")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        with quiet_native_output(expected=(FnetKerasError, OSError, KeyboardInterrupt)):
            return run(args)
    except FnetKerasError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(args.interrupt_hint, file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
