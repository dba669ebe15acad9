package io.modelmux.benchmarks;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What a benchmark must show, read by {@link io.modelmux.benchmarks.report.ResultsReport} to say
 * in {@code RESULTS.md} whether each result met it. Every figure is compared with another
 * benchmark of the same class measured in the same run, with the same parameters and threads
 * ({@link #against()}, the class's {@code baseline} by default): a ratio of the scores, or the
 * difference. Unset bounds (NaN) are not checked; a goal with none only names the reference.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@Repeatable(Goal.List.class)
public @interface Goal {
  /** Several goals of one benchmark, each against its own reference. */
  @Documented
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.METHOD)
  @interface List {
    /** The goals. */
    Goal[] value();
  }

  /** The benchmark method of the same class this one is compared with. */
  String against() default "baseline";

  /**
   * The JMH mode the goal is for ({@code thrpt}, {@code avgt}, {@code sample}, {@code ss}), when
   * a benchmark runs in several: a throughput's bound is not a latency's. Empty: every mode.
   */
  String mode() default "";

  /**
   * A secondary metric to compare instead of the score, such as an {@code @AuxCounters} field
   * ({@code hitRatioPpm}), or {@code p50} / {@code p99} of a sampled time; the bounds then apply
   * to it. Empty: the score.
   */
  String metric() default "";

  /**
   * A parameter the reference has another value of, such as {@code batching=off}: then the
   * reference is this benchmark (unless {@link #against()} names another) with that value, and
   * results that already have it are compared with nothing.
   */
  String againstParam() default "";

  /** The largest score / reference score allowed (for times: at most this many times slower). */
  double maxRatio() default Double.NaN;

  /** The smallest score / reference score allowed (for throughputs: at least this share). */
  double minRatio() default Double.NaN;

  /** The largest score allowed, in the result's unit. */
  double maxScore() default Double.NaN;

  /** The most the score may exceed the reference's, in the result's unit. */
  double maxOver() default Double.NaN;

  /** The most bytes allocated per operation beyond the reference's (with {@code -prof gc}). */
  double maxAllocatedOver() default Double.NaN;

  /** The most bytes allocated per operation (with {@code -prof gc}). */
  double maxAllocated() default Double.NaN;
}
