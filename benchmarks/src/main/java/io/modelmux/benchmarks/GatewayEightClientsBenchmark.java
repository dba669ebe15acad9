package io.modelmux.benchmarks;

import org.openjdk.jmh.annotations.Threads;

/** {@link GatewayBenchmark} with eight clients at once, each on its own thread. */
@Threads(8)
public class GatewayEightClientsBenchmark extends GatewayBenchmark {}
