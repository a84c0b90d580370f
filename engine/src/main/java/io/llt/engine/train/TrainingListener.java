package io.llt.engine.train;

/**
 * Hooks the trainer calls on its own thread, in order: {@link #onEpochStart}, {@link #onBatch}
 * per batch, {@link #onEpochEnd}. Implementations must be fast (they run on the training path).
 */
public interface TrainingListener {
  /**
   * Called before an epoch's first batch.
   *
   * @param activeBlock for {@code greedy}, the ids of the phase's blocks joined by '+'; otherwise
   *     null
   */
  default void onEpochStart(int epoch, int totalEpochs, int batches, String activeBlock) {}

  /**
   * Called before the outputs of the frozen blocks up to {@code lastFrozenBlock} are computed on
   * every split, once at the start of a greedy phase (which may take a while).
   */
  default void onCachingFeatures(String lastFrozenBlock) {}

  /**
   * Called after each batch of that computation.
   *
   * @param done the examples computed so far, over every split
   * @param total the examples of every split
   */
  default void onCachingProgress(long done, long total) {}

  /**
   * Called after each batch.
   *
   * @param batch the batch index, from 1
   * @param batches the number of batches in the epoch
   * @param meanLosses the running mean loss per block this epoch
   * @param samplesPerSecond the epoch's throughput so far
   */
  default void onBatch(int batch, int batches, double[] meanLosses, double samplesPerSecond) {}

  /** Called after an epoch was evaluated and checkpointed. */
  default void onEpochEnd(EpochMetrics metrics) {}
}
