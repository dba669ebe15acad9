package io.modelmux;

import java.util.List;
import java.util.Objects;

/**
 * A snapshot of one memory pool.
 *
 * @param name {@code host}, {@code unified} or an accelerator such as {@code cuda:0}; not null
 * @param budgetBytes what models may take in it, headroom already subtracted
 * @param usedBytes what loaded and loading models take now (measured once loaded)
 * @param models the models holding memory in it, in no order; not null
 */
public record PoolStatus(String name, long budgetBytes, long usedBytes, List<ModelRef> models) {
  /** Checks and copies the arguments. */
  public PoolStatus {
    Objects.requireNonNull(name, "name");
    models = List.copyOf(models);
  }
}
