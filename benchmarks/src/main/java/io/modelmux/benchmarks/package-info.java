/**
 * JMH benchmarks of ModelMux's hot paths. Each class has a {@code baseline()} benchmark, the
 * floor or peer its results are read against, and states its fork, warmup and measurement
 * settings explicitly; results are recorded as ratios to the baseline in
 * {@code benchmarks/RESULTS.md}.
 *
 * <ul>
 *   <li>{@link io.modelmux.benchmarks.SelectionBenchmark}: resolving a model name (id,
 *       {@code id@version}, alias, or a request's model) through
 *       {@link io.modelmux.MultiModelManager#resolve(String)}, against a plain
 *       {@link java.util.HashMap#get}.
 *   <li>{@link io.modelmux.benchmarks.EvictionTraceBenchmark}: LRU and GDSF against Belady on
 *       a Zipf(1.0) trace over 50 models of mixed sizes (hit ratio, bytes loaded).
 *   <li>{@link io.modelmux.benchmarks.HttpAdapterBenchmark}: the {@code openai} adapter against
 *       a raw {@code HttpClient} and LangChain4j on a loopback server.
 *   <li>{@code io.modelmux.internal.memory.LeaseBenchmark}: a request's lease on a resident model.
 *   <li>{@code io.modelmux.djl.TinyLmBenchmark} and {@code io.modelmux.djl.BatchingBenchmark}:
 *       the tiny LM through ModelMux against its decoder called directly, and 8 clients with
 *       batching on and off. (These live in the packages whose package-private parts they
 *       drive.)
 * </ul>
 *
 * <p>Build the runnable jar and run, from the repository root:
 *
 * <pre>
 * mvn -B -ntp -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar SelectionBenchmark
 * </pre>
 *
 * <p>The usual JMH options apply ({@code -h} lists them): for example {@code -p models=1000}
 * for one parameter value, {@code -prof gc} for allocation per operation, {@code -rf json} to
 * keep the results. Run on an otherwise idle machine; compare numbers only from the same
 * machine and JDK.
 *
 * <p>{@link io.modelmux.benchmarks.NoopModelFactory} (type {@code noop}) supplies models that
 * cost nothing, so that a benchmark measures the manager and not a backend.
 */
@NullMarked
package io.modelmux.benchmarks;

import org.jspecify.annotations.NullMarked;
