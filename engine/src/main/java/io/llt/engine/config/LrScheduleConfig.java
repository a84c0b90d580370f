package io.llt.engine.config;

import java.util.List;

/**
 * Learning-rate schedule, evaluated once per epoch (epochs counted from 0 within the block's
 * training).
 *
 * @param type {@code constant} (default), {@code step}, {@code milestones} or {@code cosine}
 * @param stepEpochs for {@code step}: epochs between decays; default 10, must be > 0
 * @param gamma for {@code step} and {@code milestones}: factor per decay; default 0.5, in (0, 1]
 * @param minLearningRate for {@code cosine}: the final rate; default 0, must be >= 0
 * @param milestones for {@code milestones}: fractions of the block's epochs, increasing, in (0,
 *     1); the rate is multiplied by {@code gamma} from epoch {@code floor(f * epochs)} on, as
 *     PyTorch's MultiStepLR with SoftHebb's {@code CustomStepLR} milestones; required
 */
public record LrScheduleConfig(
    LrScheduleType type,
    Integer stepEpochs,
    Double gamma,
    Double minLearningRate,
    List<Double> milestones) {
  /** Validates and applies defaults. */
  public LrScheduleConfig {
    type = type == null ? LrScheduleType.CONSTANT : type;
    if (type != LrScheduleType.STEP) {
      Checks.absent("stepEpochs", stepEpochs, "type: step only");
    }
    if (type != LrScheduleType.STEP && type != LrScheduleType.MILESTONES) {
      Checks.absent("gamma", gamma, "type: step or milestones only");
    }
    if (type != LrScheduleType.MILESTONES) {
      Checks.absent("milestones", milestones, "type: milestones only");
    } else {
      Checks.required(
          "milestones", milestones, "fractions of the epochs, for example [0.5, 0.75]");
      Checks.nonEmpty("milestones", milestones);
      milestones = List.copyOf(milestones);
      double prev = 0;
      for (double m : milestones) {
        if (!(m > prev && m < 1)) {
          throw new InvalidValueException(
              "milestones", "must increase strictly within (0, 1), found " + milestones);
        }
        prev = m;
      }
      gamma = gamma == null ? 0.5 : gamma;
      if (!(gamma > 0 && gamma <= 1)) {
        throw new InvalidValueException("gamma", "must be in (0, 1], found " + gamma);
      }
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
    return new LrScheduleConfig(null, null, null, null, null);
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
      case MILESTONES:
        int passed = 0;
        for (double m : milestones) {
          if (epoch >= (int) Math.floor(m * epochs)) {
            passed++;
          }
        }
        return base * Math.pow(gamma, passed);
      case COSINE:
        return minLearningRate
            + (base - minLearningRate) * 0.5 * (1 + Math.cos(Math.PI * epoch / Math.max(1, epochs)));
      default:
        return base;
    }
  }
}
