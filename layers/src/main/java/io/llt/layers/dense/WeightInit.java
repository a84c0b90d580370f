package io.llt.layers.dense;

/** How a dense or convolution layer's weights (and biases) are initialised. */
public enum WeightInit {
  /**
   * PyTorch's {@code nn.Linear} default (kaiming_uniform with a = sqrt(5)): weights and biases from
   * U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
   */
  UNIFORM_FAN_IN,
  /** Glorot/Xavier uniform: U(-sqrt(6/(fanIn+fanOut)), +...); biases zero. */
  XAVIER_UNIFORM,
  /** He/Kaiming normal for ReLU: N(0, 2/fanIn); biases zero. */
  KAIMING_NORMAL,
  /**
   * SoftHebb's initial radius R (the layer's {@code radius}): N(0, R^2/fanIn), so that every
   * neuron's weight vector has a norm near R (25 for the CNN presets); biases zero.
   */
  RADIUS;

  /**
   * Validates a layer's {@code radius} key against its {@code init} and returns it with its default
   * (25 for {@code radius}, null otherwise).
   */
  public static Double checkRadius(WeightInit init, Double radius) {
    if (init != RADIUS) {
      io.llt.engine.config.Checks.absent("radius", radius, "init: radius only");
      return null;
    }
    double r = radius == null ? 25.0 : radius;
    io.llt.engine.config.Checks.positive("radius", r);
    return r;
  }
}
