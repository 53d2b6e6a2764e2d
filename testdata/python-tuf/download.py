"""Downloads one target from a tufgit mirror with python-tuf's ngclient, an
independent TUF client, trusting the root.json already in METADATA_DIR.

usage: python3 download.py METADATA_URL TARGETS_URL METADATA_DIR TARGET_DIR TARGET_PATH

Prints the path of the verified file. Exits 1, with python-tuf's reason on
stderr, when python-tuf refuses anything. Install python-tuf with
testdata/python-tuf/install.sh (its header says how to run this).
"""
import sys

from tuf.ngclient import Updater


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    metadata_url, targets_url, metadata_dir, target_dir, target_path = sys.argv[1:]
    updater = Updater(
        metadata_dir=metadata_dir,
        metadata_base_url=metadata_url,
        target_base_url=targets_url,
        target_dir=target_dir,
    )
    updater.refresh()
    info = updater.get_targetinfo(target_path)
    if info is None:
        raise RuntimeError(f"no target {target_path}")
    path = updater.find_cached_target(info) or updater.download_target(info)
    print(path)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one line, like tuf-js's script
        print(f"python-tuf: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
