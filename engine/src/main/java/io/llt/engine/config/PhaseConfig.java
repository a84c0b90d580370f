package io.llt.engine.config;

import java.util.List;

/**
 * One phase of the {@code greedy} schedule: consecutive blocks that train together on every batch
 * for a number of epochs, on the outputs of the frozen blocks before them, while the blocks after
 * them wait. SoftHebb trains its Hebbian blocks together for one epoch, then its readout for 50.
 *
 * @param blocks the ids of the phase's blocks, consecutive and in chain order; at least one
 * @param epochs epochs of this phase; default {@code trainer.epochs}; > 0
 * @param batchSize the training batch size of this phase; default {@code trainer.batchSize}; > 0
 */
public record PhaseConfig(List<String> blocks, Integer epochs, Integer batchSize) {
  /** Validates. */
  public PhaseConfig {
    Checks.required("blocks", blocks, "the ids of the blocks this phase trains, for example [b1, b2]");
    Checks.nonEmpty("blocks", blocks);
    blocks = List.copyOf(blocks);
    if (epochs != null) {
      Checks.positive("epochs", epochs);
    }
    if (batchSize != null) {
      Checks.positive("batchSize", batchSize);
    }
  }

  /** Returns a copy with {@code epochs} and {@code batchSize} filled in when unset. */
  PhaseConfig withDefaults(int defaultEpochs, int defaultBatchSize) {
    return new PhaseConfig(
        blocks,
        epochs != null ? epochs : defaultEpochs,
        batchSize != null ? batchSize : defaultBatchSize);
  }
}
