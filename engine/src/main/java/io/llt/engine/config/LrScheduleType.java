package io.llt.engine.config;

/** How the learning rate changes with the epoch. */
public enum LrScheduleType {
  /** The base learning rate throughout. */
  CONSTANT,
  /** Multiplied by {@code gamma} every {@code stepEpochs} epochs. */
  STEP,
  /** Cosine decay from the base rate to {@code minLearningRate} over the block's epochs. */
  COSINE
}
