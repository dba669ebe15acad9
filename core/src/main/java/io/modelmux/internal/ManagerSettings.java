package io.modelmux.internal;

import io.modelmux.spi.ModelFactories;
import io.modelmux.spi.ModelSpec;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * What {@link io.modelmux.MultiModelManager.Builder} hands to the manager it builds.
 *
 * @param factories the factories to create adapters with
 * @param models the models to register, in order
 * @param aliases alias to target, in order
 * @param defaultModel the default model's name, or null
 * @param defaultFromEnvironment whether {@code defaultModel} came from the environment
 * @param executor the caller's executor, or null to create one
 * @param clock the clock for deadlines and timestamps
 * @param memory the memory section
 * @param hardware the machine's memory and accelerators
 * @param evictionPolicy the policy chosen in code, or null for the configured one
 * @param listeners listeners for scheduler events
 * @param routes the routes, in order
 * @param routeListeners listeners for route events and shadow results
 * @param classifier the task classifier chosen in code, or null to discover one
 * @param cache the response cache's bounds, or null for no cache
 * @param closeTimeout how long close() waits for requests in flight
 * @param requestListeners listeners for each request's start, attempts and end
 * @param costReference the model whose prices savings are counted against, or null
 * @param benchmark the benchmark section, or null
 */
public record ManagerSettings(
    ModelFactories factories,
    List<ModelSpec> models,
    Map<String, String> aliases,
    @Nullable String defaultModel,
    boolean defaultFromEnvironment,
    @Nullable ExecutorService executor,
    Clock clock,
    io.modelmux.MemoryConfig memory,
    io.modelmux.Hardware hardware,
    io.modelmux.spi.@Nullable EvictionPolicy evictionPolicy,
    List<io.modelmux.ModelEventListener> listeners,
    List<io.modelmux.RouteConfig> routes,
    List<io.modelmux.RouteEventListener> routeListeners,
    io.modelmux.spi.@Nullable TaskClassifier classifier,
    io.modelmux.@Nullable CacheConfig cache,
    java.time.Duration closeTimeout,
    List<io.modelmux.RequestListener> requestListeners,
    @Nullable String costReference,
    io.modelmux.@Nullable BenchmarkConfig benchmark) {}
