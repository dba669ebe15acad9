package io.modelmux.benchmarks;

import org.openjdk.jmh.annotations.Threads;

/**
 * {@link ManagerOverheadBenchmark} on two threads at once (the machine's two cores): the same
 * benchmarks, goals and floor, each thread sending its own requests through one manager, so that
 * what the path shares between requests (the guard's breaker and limit, the cache, the
 * histograms, the listener's queue) shows its contention.
 */
@Threads(2)
public class ManagerOverheadTwoThreadsBenchmark extends ManagerOverheadBenchmark {}
