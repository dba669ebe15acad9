/**
 * The manager's implementation. Not API: anything here may change in any release.
 *
 * <p>A request passes the stages in this order, each in its own package:
 *
 * <ol>
 *   <li>{@link io.modelmux.internal.serve} — {@code RequestPath}: the path itself, one method
 *       for {@code generate}, {@code generateAsync} and {@code stream};
 *   <li>{@link io.modelmux.internal.route} — {@code Router}: the request's {@code Plan}, the
 *       model to serve it;
 *   <li>(cache — a later stage);
 *   <li>{@link io.modelmux.internal.memory} — {@code MemoryScheduler}: a {@code Lease} on a
 *       resident model, loading, waiting or evicting for it;
 *   <li>(guard: concurrency limits, circuit breakers, retries — a later stage);
 *   <li>the adapter ({@link io.modelmux.spi.ModelAdapter});
 *   <li>record: the response, the counters; then the lease is returned.
 * </ol>
 *
 * <p>Beside the path: {@link io.modelmux.internal.registry} (the registered models, their
 * names, aliases and default) and {@link io.modelmux.internal.config} (reading {@code
 * models.yaml}). {@code DefaultMultiModelManager}, here, only wires them, runs requests on
 * threads and manages the life cycle.
 */
package io.modelmux.internal;
