package org.chaosvm.daemon.config;

import java.util.Optional;

/**
 * A network interface as xl's {@code vif} describes it ({@code "mac=...,bridge=...,ip=..."}); each
 * setting is empty when not given.
 */
public record VifSpec(
    Optional<String> mac,
    Optional<String> bridge,
    Optional<String> ip,
    Optional<String> vifname,
    Optional<String> rate,
    Optional<Integer> mtu) {}
