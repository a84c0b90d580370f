package io.llt.layers.dense;

/** How a dense layer's weights (and biases) are initialised. */
public enum WeightInit {
  /**
   * PyTorch's {@code nn.Linear} default (kaiming_uniform with a = sqrt(5)): weights and biases from
   * U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
   */
  UNIFORM_FAN_IN,
  /** Glorot/Xavier uniform: U(-sqrt(6/(fanIn+fanOut)), +...); biases zero. */
  XAVIER_UNIFORM,
  /** He/Kaiming normal for ReLU: N(0, 2/fanIn); biases zero. */
  KAIMING_NORMAL
}
