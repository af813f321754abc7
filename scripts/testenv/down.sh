#!/usr/bin/env bash
# Stops exactly the processes `up.sh` started (by recorded PID) and unmounts every mount under the run
# folder (the CSI volumes' bind mounts). Logs stay in the run folder.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
exec 8>"$RUN.lock" 2>/dev/null || { say "nothing to stop at $RUN"; exit 0; }
flock 8
if [ ! -f "$RUN/pids" ]; then unmount_under "$RUN"; say "nothing running at $RUN"; exit 0; fi
stop_recorded
rm -f "$RUN/env"
say "stopped; logs kept in $RUN/logs"
