"""Command line for the standard data sets: `python -m textgan.data download NAME` and `... list`.

`download NAME [--data-dir DIR] [--base-url URL] [--force]` fetches and checks one data set (see
`download.py`); `list` shows every data set, its files, and whether each is present and correct under
the data root (`--data-dir`, else $TEXTGAN_DATA_DIR, else ./data).
"""

from __future__ import annotations

import argparse
import sys

from textgan.data.download import BASE_URL_ENV, download, file_is_valid, load_manifest
from textgan.data.paths import DATA_DIR_ENV, resolve_data_root
from textgan.errors import CliParser, cli_entry


def _parser() -> argparse.ArgumentParser:
    parser = CliParser(prog="python -m textgan.data", description="Standard text-GAN data sets.")
    sub = parser.add_subparsers(dest="command", required=True)
    data_dir_help = f"data root (default: ${DATA_DIR_ENV}, else ./data)"

    dl = sub.add_parser("download", help="download and verify one data set")
    # No `choices=` for the name: an unknown name is a UserError whose one line lists the known names.
    dl.add_argument("name", help="data set name (see `list`)")
    dl.add_argument("--data-dir", help=data_dir_help)
    dl.add_argument("--base-url", help=f"mirror serving <URL>/<path under the data root> (default: ${BASE_URL_ENV})")
    dl.add_argument("--force", action="store_true", help="download again even if a correct copy is present")

    ls = sub.add_parser("list", help="list data sets and which of their files are present")
    ls.add_argument("--data-dir", help=data_dir_help)
    return parser


def _list(data_root) -> None:
    print(f"data root: {data_root}")
    for name, entry in load_manifest()["datasets"].items():
        print(f"{name}: {entry['description']}")
        for file in entry["files"]:
            path = data_root / file["path"]
            if file_is_valid(path, file):
                state = "present"
            elif path.exists():
                state = "present but does not match the manifest (re-run download with --force)"
            else:
                state = "missing"
            print(f"  {file['path']}: {state}")
        for file in entry.get("unavailable", []):
            state = "present (user-supplied)" if (data_root / file["path"]).exists() else "not downloadable"
            print(f"  {file['path']}: {state}")


def _main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    data_root = resolve_data_root(args.data_dir)
    if args.command == "list":
        _list(data_root)
        return 0
    paths = download(args.name, data_root, base_url=args.base_url, force=args.force, progress=True)
    print(f"{args.name}: {len(paths)} file(s) ready under {data_root}")
    return 0


main = cli_entry(_main)

if __name__ == "__main__":
    sys.exit(main())
