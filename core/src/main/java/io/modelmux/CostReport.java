package io.modelmux;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What the manager's requests cost since it was built ({@link ManagerMetrics#cost()}), in the
 * models' currency: in all, the part that was estimated (tokens counted here), by model, by
 * route and by request tag; shadow copies apart (in no other total); what answers from the
 * response cache would have cost; and, with a reference model ({@code cost: {reference: ...}}),
 * what the same tokens would have cost at its prices and the saving. Immutable.
 *
 * @param total the caller's requests (shadow copies not included)
 * @param estimated of the total, the part counted from tokens counted here
 * @param shadow shadow copies, counted apart
 * @param cacheSaved what the answers served from the cache cost when they were made
 * @param byModel by the model that served ({@code id@version}), shadow copies not included
 * @param byRoute by the route the request named
 * @param byTag by request tag (a request with two tags counts under both)
 * @param reference the reference model, or null
 * @param referenceCost what the caller's requests would have cost at the reference's prices
 */
public record CostReport(
    double total, double estimated, double shadow, double cacheSaved, Map<String, Double> byModel,
    Map<String, Double> byRoute, Map<String, Double> byTag, @Nullable String reference, double referenceCost) {
  /** Checks and copies the arguments. */
  public CostReport {
    byModel = Map.copyOf(Objects.requireNonNull(byModel, "byModel"));
    byRoute = Map.copyOf(Objects.requireNonNull(byRoute, "byRoute"));
    byTag = Map.copyOf(Objects.requireNonNull(byTag, "byTag"));
  }

  /** Returns the reference model, when one is set. */
  public Optional<String> referenceModel() {
    return Optional.ofNullable(reference);
  }

  /** Returns what the requests saved against the reference model (negative when they cost more); 0 without one. */
  public double saving() {
    return reference == null ? 0 : referenceCost - total;
  }
}
