package io.modelmux.internal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/**
 * Loads the providers of a service the one way every extension point of ModelMux does (model
 * factories, device probes, task classifiers): a provider whose class fails to load or construct
 * is reported and skipped, and the others still load. A broken services file can make the
 * iterator fail again and again, so loading stops after {@value #MAX_CONSECUTIVE_FAILURES}
 * failures in a row. Stateless.
 */
public final class ServiceProviders {
  /** Stop after this many consecutive provider failures: a broken services file can repeat. */
  static final int MAX_CONSECUTIVE_FAILURES = 64;

  private ServiceProviders() {}

  /** Returns the thread's context class loader, or {@code fallback}'s when the thread has none. */
  public static ClassLoader contextLoader(Class<?> fallback) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    return loader != null ? loader : fallback.getClassLoader();
  }

  /**
   * Returns the providers of {@code service} that {@code loader} finds, in its order.
   *
   * @param failed told of each provider that failed to load or construct, with why
   */
  public static <T> List<T> load(Class<T> service, ClassLoader loader, Consumer<Throwable> failed) {
    List<T> found = new ArrayList<>();
    Iterator<T> it = ServiceLoader.load(service, loader).iterator();
    int consecutiveFailures = 0;
    while (consecutiveFailures < MAX_CONSECUTIVE_FAILURES) {
      try {
        if (!it.hasNext()) {
          break;
        }
        found.add(it.next());
        consecutiveFailures = 0;
      } catch (ServiceConfigurationError | LinkageError e) {
        consecutiveFailures++;
        failed.accept(e);
      }
    }
    return found;
  }
}
