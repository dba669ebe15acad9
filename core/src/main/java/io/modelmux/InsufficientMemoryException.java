package io.modelmux;

import org.jspecify.annotations.Nullable;

/**
 * A model cannot be made resident: it is larger than its memory pool's budget, or nothing that
 * is resident can be freed for it. The message gives the model's size, the budget and what is
 * resident, so that the caller can raise the budget, pick a smaller model or unpin another.
 */
public class InsufficientMemoryException extends ModelMuxException {
  private static final long serialVersionUID = 1L;

  private final long requiredBytes;
  private final long budgetBytes;
  private final long residentBytes;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do; not null
   * @param modelId the model that did not fit; not null
   * @param requiredBytes the bytes the model needs
   * @param budgetBytes the pool's budget in bytes
   * @param residentBytes the bytes resident in the pool when admission failed
   */
  public InsufficientMemoryException(
      String message,
      @Nullable String modelId,
      long requiredBytes,
      long budgetBytes,
      long residentBytes) {
    super(message, modelId, false, -1, null, null);
    this.requiredBytes = requiredBytes;
    this.budgetBytes = budgetBytes;
    this.residentBytes = residentBytes;
  }

  /** Returns the bytes the model needs. */
  public long requiredBytes() {
    return requiredBytes;
  }

  /** Returns the budget, in bytes, of the pool the model was to be admitted to. */
  public long budgetBytes() {
    return budgetBytes;
  }

  /** Returns the bytes resident in that pool when admission failed. */
  public long residentBytes() {
    return residentBytes;
  }
}
