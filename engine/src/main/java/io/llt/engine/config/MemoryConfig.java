package io.llt.engine.config;

/**
 * Memory measurement and limits ({@code memory:} in an experiment file).
 *
 * @param track measure native memory per block and phase while training (high-water marks,
 *     reported in metrics and by {@code llt profile}); default false. Always on when a budget is set
 * @param budgetBytes stop with exit code 4 when the estimate before training, or the native
 *     memory measured during it, exceeds this many bytes; default none
 */
public record MemoryConfig(Boolean track, Long budgetBytes) {
  /** Applies defaults and validates. */
  public MemoryConfig {
    if (budgetBytes != null) {
      Checks.positive("budgetBytes", budgetBytes);
    }
    track = (track != null && track) || budgetBytes != null;
  }

  /** Returns the defaults: no tracking, no budget. */
  public static MemoryConfig defaults() {
    return new MemoryConfig(null, null);
  }
}
