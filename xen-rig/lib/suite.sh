# The test suite and the demo, on top of the boot: build on the host, run in Dom0, report on the host.
# shellcheck shell=bash

RIG_E2E_REPORTS="$REPO_DIR/target/e2e-reports"

# rig_build_for_dom0 MAVEN-ARGS...: builds the project with the "rig" profile, which also copies the
# test classpath's jars to target/rig/lib for the JVM in Dom0 (it has no Maven and no network).
rig_build_for_dom0() {
  local start
  start=$(date +%s.%N)
  rig_log "mvn $* (profile rig)"
  mvn -B -ntp -Dstyle.color=never -f "$REPO_DIR/pom.xml" -P rig "$@" || rig_die "the Maven build failed"
  rig_log "build done in $(rig_elapsed "$start") s"
}

# rig_e2e FILTER: the JUnit tests tagged "xen", run in Dom0 by xen-rig/dom0/e2e. The whole suite's
# rig time (docs/rig.md, RIG_TIMEOUT) varies by a third from one of this project's machines to
# another: its boot gets RIG_E2E_TIMEOUT, 3000 s unless RIG_TIMEOUT says.
RIG_E2E_TIMEOUT=${RIG_TIMEOUT_GIVEN:-3000}
rig_e2e() {
  local filter=$1 rc
  rm -rf "$RIG_E2E_REPORTS"
  RIG_TIMEOUT=$RIG_E2E_TIMEOUT rig_boot_run "RIG_E2E_TAG=$(printf '%q' "${RIG_E2E_TAG:-xen}") xen-rig/dom0/e2e $(printf '%q' "$filter")"
  rc=$?
  rig_log "e2e reports: ${RIG_E2E_REPORTS#"$REPO_DIR"/}"
  return "$rc"
}

# Prints "tests: N passed, N failed, N skipped" over the Surefire and end-to-end XML reports.
rig_summary() {
  local reports=()
  mapfile -t reports < <(find "$REPO_DIR" -path '*/target/surefire-reports/TEST-*.xml' -o \
    -path "$RIG_E2E_REPORTS/*/*.xml" 2>/dev/null)
  [ "${#reports[@]}" -gt 0 ] || {
    echo "tests: 0 passed, 0 failed"
    return
  }
  awk '
    /<testsuite[ >]/ {
      for (i = 1; i <= NF; i++) {
        if (split($i, kv, "=") == 2) { gsub(/"/, "", kv[2]); v[kv[1]] = kv[2] + 0 }
      }
      tests += v["tests"]; failed += v["failures"] + v["errors"]; skipped += v["skipped"]
      delete v
    }
    END { printf "tests: %d passed, %d failed, %d skipped\n", tests - failed - skipped, failed, skipped }
  ' "${reports[@]}"
}

rig_test() {
  local start rc
  start=$(date +%s.%N)
  rig_setup
  rm -rf "$RIG_E2E_REPORTS"
  find "$REPO_DIR" -path '*/target/surefire-reports' -prune -exec rm -rf {} + 2>/dev/null
  rig_log "unit tests on the host"
  if ! mvn -B -ntp -Dstyle.color=never -f "$REPO_DIR/pom.xml" -P rig verify; then
    rig_summary
    rig_die "unit tests or the build failed; the end-to-end suite was not run"
  fi
  rig_log "the tinyx VMs of the end-to-end tests"
  rig_tinyx_images
  rig_log "end-to-end tests in the rig"
  rig_e2e ""
  rc=$?
  rig_log "all tests done in $(rig_elapsed "$start") s"
  if [ "$rc" -ne 0 ] && ! ls "$RIG_E2E_REPORTS"/*/*.xml >/dev/null 2>&1; then
    # The suite did not even run (or left no report): count it as one failure, not as nothing.
    rig_log "the end-to-end suite failed (status $rc) before reporting any test"
    rig_summary | awk '{ $4 = $4 + 1; print }'
  else
    rig_summary
  fi
  return "$rc"
}

rig_demo() {
  rig_setup
  rig_build_for_dom0 -q -DskipTests package
  rig_boot_run "xen-rig/dom0/demo"
}
