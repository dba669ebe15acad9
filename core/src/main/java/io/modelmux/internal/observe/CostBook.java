package io.modelmux.internal.observe;

import io.modelmux.Cost;
import io.modelmux.CostReport;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.spi.Prices;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The manager's cost totals, in billionths of the currency: the caller's requests (and the part
 * estimated), shadow copies apart, what cached answers saved, by request tag (the first {@value
 * #MAX_TAGS} tags seen; later ones under {@code _OTHER}, so a caller cannot grow it without
 * bound), and what the same tokens would have cost at a reference model's prices. Per model and
 * per route totals live in {@link ModelMeters} and {@link RouteMeters}. Thread-safe.
 */
public final class CostBook {
  static final int MAX_TAGS = 1_000;
  static final String OTHER = "_OTHER";

  private final @Nullable String referenceName;
  private final @Nullable Prices reference;
  private final LongAdder total = new LongAdder();
  private final LongAdder estimated = new LongAdder();
  private final LongAdder shadow = new LongAdder();
  private final LongAdder cacheSaved = new LongAdder();
  private final LongAdder referenceCost = new LongAdder();
  private final Map<String, LongAdder> byTag = new ConcurrentHashMap<>();

  /**
   * @param referenceName the reference model's name, or null
   * @param reference its prices, or null
   */
  public CostBook(@Nullable String referenceName, @Nullable Prices reference) {
    this.referenceName = referenceName;
    this.reference = reference;
  }

  /** Returns {@code amount} in billionths. */
  public static long nanos(double amount) {
    return Math.round(amount * SpendBook.NANOS);
  }

  /** Records a response's cost: a shadow copy's apart. */
  public void record(GenerateResponse response, GenerateRequest request, boolean isShadow) {
    Cost c = response.cost().orElse(null);
    if (c == null) {
      return;
    }
    long n = nanos(c.amount());
    if (isShadow) {
      shadow.add(n);
      return;
    }
    total.add(n);
    if (c.estimated()) {
      estimated.add(n);
    }
    if (reference != null) {
      referenceCost.add(nanos(reference.cost(c.inputTokens(), c.outputTokens())));
    }
    for (String tag : request.tags()) {
      LongAdder t = byTag.get(tag);
      if (t == null) {
        t = byTag.size() < MAX_TAGS ? byTag.computeIfAbsent(tag, k -> new LongAdder()) : byTag.computeIfAbsent(OTHER, k -> new LongAdder());
      }
      t.add(n);
    }
  }

  /** Records what a cached answer cost when it was made, and so saved now. */
  public void saved(Cost original) {
    cacheSaved.add(nanos(original.amount()));
  }

  /** Returns the report, with the per model and per route totals given. */
  public CostReport report(Map<String, Double> byModel, Map<String, Double> byRoute) {
    Map<String, Double> tags = new HashMap<>();
    byTag.forEach((k, v) -> tags.put(k, v.sum() / SpendBook.NANOS));
    return new CostReport(
        total.sum() / SpendBook.NANOS, estimated.sum() / SpendBook.NANOS, shadow.sum() / SpendBook.NANOS,
        cacheSaved.sum() / SpendBook.NANOS, byModel, byRoute, tags, referenceName,
        reference == null ? 0 : referenceCost.sum() / SpendBook.NANOS);
  }

  /** Returns the tags with totals, for tests. */
  List<String> tags() {
    return List.copyOf(byTag.keySet());
  }
}
