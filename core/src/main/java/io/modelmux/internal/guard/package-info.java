/**
 * The guard stage: each model's circuit breaker and retry (Resilience4j) and its concurrency
 * limit with a bounded queue, and the error classes that decide what retries, what counts
 * against a backend's health and what moves a request to the next candidate.
 */
@NullMarked
package io.modelmux.internal.guard;

import org.jspecify.annotations.NullMarked;
