package io.llt.engine.config;

/** How the learning rate changes with the epoch. */
public enum LrScheduleType {
  /** The base learning rate throughout. */
  CONSTANT,
  /** Multiplied by {@code gamma} every {@code stepEpochs} epochs. */
  STEP,
  /**
   * Multiplied by {@code gamma} at each milestone, given as fractions of the block's epochs
   * (SoftHebb's readout halves at 20, 35, 50, 60, 70, 80 and 90%).
   */
  MILESTONES,
  /** Cosine decay from the base rate to {@code minLearningRate} over the block's epochs. */
  COSINE
}
