#!/bin/sh
# bayescale set-up in one command.
#   ./dev.sh demo   create .venv (Python >= 3.12), install bayescale, fit the bundled example
#                   runs, print the credible-interval table, a frontier prediction and the
#                   compute-optimal allocation, and write out/extrapolation.png, out/frontier.png
#   ./dev.sh test   create .venv, install bayescale with its dev extra, run the whole test suite
# Set PYTHON=/path/to/python3.12 to choose the interpreter.
set -eu
cd "$(dirname "$0")"

is_new_enough() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
    for cand in "${PYTHON:-}" python3.14 python3.13 python3.12 python3 python; do
        [ -n "$cand" ] || continue
        command -v "$cand" >/dev/null 2>&1 || continue
        if is_new_enough "$cand"; then command -v "$cand"; return 0; fi
    done
    if command -v pyenv >/dev/null 2>&1; then
        root=$(pyenv root)
        for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.[0-9]+\.[0-9]+$' | sort -t. -k2,2nr -k3,3nr); do
            if [ -x "$root/versions/$v/bin/python" ] && is_new_enough "$root/versions/$v/bin/python"; then
                echo "$root/versions/$v/bin/python"; return 0
            fi
        done
    fi
    return 1
}

venv() {
    if [ -x .venv/bin/python ] && is_new_enough .venv/bin/python; then return 0; fi
    py=$(find_python) || { echo "dev.sh: no Python >= 3.12 found; install one or set PYTHON=" >&2; exit 1; }
    echo "dev.sh: creating .venv with $py ($("$py" --version 2>&1))" >&2
    rm -rf .venv
    "$py" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
}

case "${1:-}" in
    demo)
        venv
        .venv/bin/python -m pip install --quiet -e .
        mkdir -p out
        .venv/bin/bayescale fit data/chinchilla_runs.csv --law chinchilla --seed 1 -o out/fit.nc --force
        .venv/bin/bayescale predict out/fit.nc --at N=7e10,D=1.4e12 --at N=4e11,D=8e12
        .venv/bin/bayescale plot out/fit.nc --to N=7e10,D=1.4e12 --to N=4e11,D=8e12 -o out/extrapolation.png --force
        .venv/bin/bayescale optimal out/fit.nc --compute 5.76e23 --heuristic 20 --plot out/frontier.png --force
        ;;
    test)
        venv
        .venv/bin/python -m pip install --quiet -e '.[dev]'
        shift
        .venv/bin/python -m pytest "$@"
        ;;
    *)
        echo "usage: ./dev.sh demo | test [pytest args]" >&2
        exit 1
        ;;
esac
