package io.llt.engine.config;

/**
 * Optimizer of a block. Every block gets its own instance and its own state.
 *
 * @param type {@code adam} (default) or {@code sgd}
 * @param learningRate base learning rate; default 1e-3 (adam) or 0.01 (sgd); must be > 0
 * @param beta1 adam only: first-moment decay; default 0.9, in [0, 1)
 * @param beta2 adam only: second-moment decay; default 0.999, in [0, 1)
 * @param epsilon adam only: denominator term; default 1e-8, must be > 0
 * @param momentum sgd only: momentum; default 0, in [0, 1)
 * @param nesterov sgd only: Nesterov momentum; default false (needs momentum > 0)
 * @param weightDecay L2 weight decay added to the gradient; default 0, must be >= 0
 * @param schedule learning-rate schedule; default constant
 */
public record OptimizerConfig(
    OptimizerType type,
    Double learningRate,
    Double beta1,
    Double beta2,
    Double epsilon,
    Double momentum,
    Boolean nesterov,
    Double weightDecay,
    LrScheduleConfig schedule) {
  /** Validates and applies defaults. */
  public OptimizerConfig {
    type = type == null ? OptimizerType.ADAM : type;
    if (type.isAdam()) {
      Checks.absent("momentum", momentum, "type: sgd only");
      Checks.absent("nesterov", nesterov, "type: sgd only");
      learningRate = learningRate == null ? 1e-3 : learningRate;
      beta1 = beta1 == null ? 0.9 : beta1;
      beta2 = beta2 == null ? 0.999 : beta2;
      epsilon = epsilon == null ? 1e-8 : epsilon;
      Checks.inHalfOpenRange("beta1", beta1, 0, 1);
      Checks.inHalfOpenRange("beta2", beta2, 0, 1);
      Checks.positive("epsilon", epsilon);
    } else {
      Checks.absent("beta1", beta1, "type: adam or adamw only");
      Checks.absent("beta2", beta2, "type: adam or adamw only");
      Checks.absent("epsilon", epsilon, "type: adam or adamw only");
      learningRate = learningRate == null ? 0.01 : learningRate;
      momentum = momentum == null ? 0.0 : momentum;
      nesterov = nesterov != null && nesterov;
      Checks.inHalfOpenRange("momentum", momentum, 0, 1);
      if (nesterov && momentum == 0) {
        throw new InvalidValueException("nesterov", "needs momentum > 0, found momentum 0");
      }
    }
    weightDecay = weightDecay == null ? 0.0 : weightDecay;
    schedule = schedule == null ? LrScheduleConfig.constant() : schedule;
    Checks.positive("learningRate", learningRate);
    Checks.nonNegative("weightDecay", weightDecay);
  }

  /** Returns Adam with PyTorch's defaults and learning rate 1e-3. */
  public static OptimizerConfig adamDefaults() {
    return new OptimizerConfig(null, null, null, null, null, null, null, null, null);
  }
}
