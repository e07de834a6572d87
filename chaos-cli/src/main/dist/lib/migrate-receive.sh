# Sourced by the chaos command (bin/chaos, and the rig's) for "chaos migrate-receive", the command
# that chaos migrate runs on the destination through ssh. It relays between its standard input and
# output and this host's chaos-daemon: socat does that without a JVM, whose start (seconds under
# TCG) was most of a small guest's migration. When standard input is a pipe, the daemon reads it
# directly and socat carries only the replies back. Without socat, or with options other than
# --socket, the command's JVM relays (MigrateCommands.Receive), as before.
# shellcheck shell=sh

# chaos_migrate_receive ARGS...: for "migrate-receive [--socket=PATH | --socket PATH]" with socat
# installed, becomes the relay (exec) and does not return; returns for anything else.
chaos_migrate_receive() {
  [ "${1-}" = migrate-receive ] && command -v socat >/dev/null 2>&1 || return 0
  case "$#:${2-}" in
    1:) set -- /run/chaos/chaos.sock ;; # Protocol.DEFAULT_SOCKET
    2:--socket=?*) set -- "${2#--socket=}" ;;
    3:--socket) set -- "$3" ;;
    *) return 0 ;;
  esac
  if [ ! -S "$1" ]; then
    echo "chaos migrate-receive: cannot reach chaos-daemon at $1 (no socket there): is it running?" >&2
    exit 5 # ExitCodes.DAEMON_UNREACHABLE
  fi
  if [ -p /dev/stdin ]; then
    # A pipe (ssh's, or chaos migrate's on its own host): the daemon reads it itself, with the
    # caller's rights (the relay request, Protocol.VERSION 3), and libxenguest reads the image from
    # it, with no copy here or in the daemon; socat carries the request there and the replies back.
    # This shell keeps its standard input open until socat ends, which the daemon's end of the
    # connection ends (waited for up to a day once the request is sent).
    printf '{"op":"relay","version":3,"input":"/proc/%s/fd/0"}\n' "$$" |
      socat -lp "chaos migrate-receive" -b 262144 -t 86400 STDIO "UNIX-CONNECT:$1"
    exit
  fi
  # Blocks as large as a pipe gives; after the end of one side, the other may still take its time
  # (a restore's last reply, its clean-up) before it ends too.
  exec socat -lp "chaos migrate-receive" -b 262144 -t 600 STDIO "UNIX-CONNECT:$1"
}
