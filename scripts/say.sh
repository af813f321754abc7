# Sourced by the quickstart scripts: headings and check marks for a person reading along.
# Colour only on a terminal, and never with NO_COLOR set (https://no-color.org): `npm start > log`
# or `npm start | tee log` must leave no escape codes in the file.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  SAY_BOLD=$'\033[1m' SAY_GREEN=$'\033[32m' SAY_RESET=$'\033[0m'
else
  SAY_BOLD='' SAY_GREEN='' SAY_RESET=''
fi
step() { printf '\n%s==> %s%s\n' "$SAY_BOLD" "$*" "$SAY_RESET"; }
done_() { printf '    %s✔ %s%s\n' "$SAY_GREEN" "$*" "$SAY_RESET"; }
