package io.llt.engine.memory;

import io.llt.engine.LltException;
import java.util.Locale;

/** Native memory (estimated or measured) went over {@code memory.budgetBytes}. Exit code 4. */
public final class MemoryBudgetExceededException extends LltException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param how {@code estimated} or {@code measured}
   * @param blockId the block that was working when the budget was crossed
   * @param phase what it was doing
   * @param bytes the bytes found
   * @param budget the budget
   */
  public MemoryBudgetExceededException(
      String how, String blockId, MemoryPhase phase, long bytes, long budget) {
    super(
        String.format(
            Locale.ROOT,
            "memory budget exceeded: %s %d bytes (%.1f MiB) in block '%s', phase %s, over"
                + " memory.budgetBytes %d (%.1f MiB); raise the budget or lower trainer.batchSize",
            how,
            bytes,
            bytes / 1048576.0,
            blockId,
            phase.name().toLowerCase(Locale.ROOT),
            budget,
            budget / 1048576.0),
        4);
  }
}
