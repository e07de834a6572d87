# Sourced in Dom0: the JVM classpath of the checkout's build (every module's classes and test
# classes, and the jars the "rig" Maven profile gathered in target/rig/lib).
# shellcheck shell=bash
rig_classpath() {
  local classpath= dir
  [ -d /host/target/rig/lib ] || {
    echo "target/rig/lib is missing: build with 'mvn -P rig package' first" >&2
    return 1
  }
  for dir in /host/*/target/classes /host/*/target/test-classes; do
    [ -d "$dir" ] && classpath="$classpath:$dir"
  done
  printf '%s\n' "${classpath#:}:/host/target/rig/lib/*"
}
