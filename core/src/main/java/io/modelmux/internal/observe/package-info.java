/**
 * What the record stage keeps about outcomes, read by routing: each model's recent latencies
 * ({@link io.modelmux.internal.observe.LatencyWindow}, for automatic selection by latency) and a
 * canary's sliding window of errors and latencies ({@link
 * io.modelmux.internal.observe.OutcomeWindow}). Not API.
 */
@NullMarked
package io.modelmux.internal.observe;

import org.jspecify.annotations.NullMarked;
