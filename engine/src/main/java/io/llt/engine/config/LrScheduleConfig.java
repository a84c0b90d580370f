package io.llt.engine.config;

/**
 * Learning-rate schedule, evaluated once per epoch (epochs counted from 0 within the block's
 * training).
 *
 * @param type {@code constant} (default), {@code step} or {@code cosine}
 * @param stepEpochs for {@code step}: epochs between decays; default 10, must be > 0
 * @param gamma for {@code step}: factor per decay; default 0.5, in (0, 1]
 * @param minLearningRate for {@code cosine}: the final rate; default 0, must be >= 0
 */
public record LrScheduleConfig(
    LrScheduleType type, Integer stepEpochs, Double gamma, Double minLearningRate) {
  /** Validates and applies defaults. */
  public LrScheduleConfig {
    type = type == null ? LrScheduleType.CONSTANT : type;
    if (type != LrScheduleType.STEP) {
      Checks.absent("stepEpochs", stepEpochs, "type: step only");
      Checks.absent("gamma", gamma, "type: step only");
    }
    if (type != LrScheduleType.COSINE) {
      Checks.absent("minLearningRate", minLearningRate, "type: cosine only");
    }
    if (type == LrScheduleType.STEP) {
      stepEpochs = stepEpochs == null ? 10 : stepEpochs;
      gamma = gamma == null ? 0.5 : gamma;
      Checks.positive("stepEpochs", stepEpochs);
      if (!(gamma > 0 && gamma <= 1)) {
        throw new InvalidValueException("gamma", "must be in (0, 1], found " + gamma);
      }
    }
    if (type == LrScheduleType.COSINE) {
      minLearningRate = minLearningRate == null ? 0.0 : minLearningRate;
      Checks.nonNegative("minLearningRate", minLearningRate);
    }
  }

  /** Returns the constant schedule. */
  public static LrScheduleConfig constant() {
    return new LrScheduleConfig(null, null, null, null);
  }

  /**
   * Returns the learning rate for an epoch.
   *
   * @param base the optimizer's base learning rate
   * @param epoch the epoch within the block's training, from 0
   * @param epochs the block's total epochs
   */
  public double learningRate(double base, int epoch, int epochs) {
    switch (type) {
      case STEP:
        return base * Math.pow(gamma, epoch / stepEpochs);
      case COSINE:
        return minLearningRate
            + (base - minLearningRate) * 0.5 * (1 + Math.cos(Math.PI * epoch / Math.max(1, epochs)));
      default:
        return base;
    }
  }
}
