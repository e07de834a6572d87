# Sourced in Dom0: the JVM classpaths of the checkout's build: every module's classes and test
# classes with the jars the "rig" Maven profile gathered in target/rig/lib (the tests, the
# benchmarks), and chaos's jars as its package installs them (the daemon, the chaos command).
#
# Everything is copied once per boot from the 9p share into Dom0's memory (/tmp/rig-classpath):
# a JVM looks every class up in each classpath entry in turn, and each look-up on 9p is a round
# trip through QEMU, which made a JVM start take 15 s instead of 3.
# shellcheck shell=bash
RIG_CLASSPATH_DIR=/tmp/rig-classpath

rig_copy_classpath() {
  local dir module
  [ -d /host/target/rig/lib ] || {
    echo "target/rig/lib is missing: build with 'mvn -P rig package' first" >&2
    return 1
  }
  [ -d /host/chaos-cli/target/chaos/lib ] || {
    echo "chaos-cli/target/chaos/lib is missing: build with 'mvn package' first" >&2
    return 1
  }
  [ -e "$RIG_CLASSPATH_DIR/.done" ] && return 0
  rm -rf "$RIG_CLASSPATH_DIR"
  mkdir -p "$RIG_CLASSPATH_DIR/lib"
  cp /host/target/rig/lib/*.jar "$RIG_CLASSPATH_DIR/lib/" || return 1
  mkdir -p "$RIG_CLASSPATH_DIR/installed"
  cp /host/chaos-cli/target/chaos/lib/*.jar "$RIG_CLASSPATH_DIR/installed/" || return 1
  for dir in /host/*/target/classes /host/*/target/test-classes; do
    [ -d "$dir" ] || continue
    module=$(basename "$(dirname "$(dirname "$dir")")")
    mkdir -p "$RIG_CLASSPATH_DIR/$module"
    cp -r "$dir" "$RIG_CLASSPATH_DIR/$module/" || {
      echo "cannot copy $dir (was the build changed during the run?)" >&2
      return 1
    }
  done
  touch "$RIG_CLASSPATH_DIR/.done"
}

# Prints the classpath (copied into memory first).
rig_classpath() {
  local classpath= dir
  rig_copy_classpath || return 1
  for dir in "$RIG_CLASSPATH_DIR"/*/classes "$RIG_CLASSPATH_DIR"/*/test-classes; do
    [ -d "$dir" ] && classpath="$classpath:$dir"
  done
  printf '%s\n' "${classpath#:}:$RIG_CLASSPATH_DIR/lib/*"
}

# Prints the classpath of chaos as its package installs it (copied into memory first): its jars
# and their dependencies' (chaos-cli/target/chaos/lib), named one by one, and no folder. The
# daemon runs from it, as installed, and so may map a class-data sharing archive: the JVM neither
# writes nor reads the application's part of one for a classpath that holds a folder. Even
# without the archive it starts sooner than from the tests' classpath, whose every class look-up
# tries each module's folders and the test libraries' jars first (the suites of 2026-12-06 under
# TCG: the daemon's ready line after 19 to 28 s, against 25 to 37).
rig_installed_classpath() {
  local jars
  rig_copy_classpath || return 1
  jars=("$RIG_CLASSPATH_DIR"/installed/*.jar)
  (IFS=:; printf '%s\n' "${jars[*]}")
}

# Prints the test-classes folders of the classpath, one per line.
rig_test_roots() {
  local dir
  for dir in "$RIG_CLASSPATH_DIR"/*/test-classes; do
    [ -d "$dir" ] && printf '%s\n' "$dir"
  done
}

# JVM options for short-lived commands under QEMU's TCG: the C2 compiler costs more than it
# gives a run of a few seconds.
RIG_SHORT_JVM_OPTS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC)

# The daemon's JVM options, as an installed chaos-daemon runs with them (a java @argument file of
# the checkout, relative to /host, where the rig's commands run): the daemon and the benchmarks,
# whose JVM runs the daemon's engine.
RIG_DAEMON_JVM_OPTS=(@chaos-cli/src/main/dist/lib/chaos-daemon.jvm)
