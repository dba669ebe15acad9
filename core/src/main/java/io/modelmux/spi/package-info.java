/**
 * For adapter authors: {@link io.modelmux.spi.ModelFactory} (found with
 * {@link java.util.ServiceLoader}), {@link io.modelmux.spi.ModelAdapter} (one model on one
 * backend), {@link io.modelmux.spi.ModelSpec} (what a model is configured with) and
 * {@link io.modelmux.spi.ModelFactories} (the factories one manager knows).
 *
 * <p>Every adapter's tests extend the contract test {@code io.modelmux.testing.ModelAdapterContractTest}
 * published in {@code modelmux-core}'s test-jar.
 */
@NullMarked
package io.modelmux.spi;

import org.jspecify.annotations.NullMarked;
