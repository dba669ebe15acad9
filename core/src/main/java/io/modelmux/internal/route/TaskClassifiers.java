package io.modelmux.internal.route;

import io.modelmux.internal.ServiceProviders;
import io.modelmux.spi.TaskClassifier;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds the {@link TaskClassifier} to use when the builder was given none. */
public final class TaskClassifiers {
  private static final Logger log = LoggerFactory.getLogger(TaskClassifiers.class);

  private TaskClassifiers() {}

  /** Returns the built-in rule-based classifier. */
  public static TaskClassifier ruleBased() {
    return new RuleBasedTaskClassifier();
  }

  /**
   * Returns the classifier found with {@link ServiceLoader} (the thread's context class loader,
   * else this library's): the first one when several are found (each is named in a WARN line),
   * the built-in rule-based one when none is. A provider that fails to load is reported and
   * skipped.
   */
  public static TaskClassifier discover() {
    List<TaskClassifier> found =
        ServiceProviders.load(
            TaskClassifier.class, ServiceProviders.contextLoader(TaskClassifiers.class),
            e -> log.warn("a task classifier could not be loaded and is skipped: {}", e.getMessage(), e));
    if (found.isEmpty()) {
      return ruleBased();
    }
    if (found.size() > 1) {
      List<String> names = new ArrayList<>();
      found.forEach(c -> names.add(c.getClass().getName()));
      log.warn("several task classifiers were found ({}); using {}: give one to the builder to choose", names, names.get(0));
    }
    return found.get(0);
  }
}
