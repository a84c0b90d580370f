package io.llt.layers.dense;

import io.llt.layers.Shapes;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

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
   * He/Kaiming normal in fan-out mode: N(0, 2/fanOut), with fanOut the filters times the kernel
   * area (the ResNet references' {@code kaiming_normal_(mode='fan_out')}, the AugLocal and MAN
   * convolutions' std = sqrt(2/(k k C_out))); biases zero.
   */
  KAIMING_NORMAL_FAN_OUT,
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

  /**
   * Initialises a layer's weights (and bias, or null) in place.
   *
   * @param w the weights
   * @param b the bias, or null
   * @param fanIn inputs per output unit
   * @param fanOut the Xavier fan-out (units; for a convolution, filters times kernel area)
   * @param radius the {@code radius} init's norm (null for the others)
   * @param rng the layer's initialisation stream
   */
  public void fill(
      INDArray w, INDArray b, long fanIn, long fanOut, Double radius, SplittableRandom rng) {
    switch (this) {
      case XAVIER_UNIFORM:
        Shapes.fillUniform(w, Math.sqrt(6.0 / (fanIn + fanOut)), rng);
        break;
      case KAIMING_NORMAL:
        Shapes.fillNormal(w, Math.sqrt(2.0 / fanIn), rng);
        break;
      case KAIMING_NORMAL_FAN_OUT:
        Shapes.fillNormal(w, Math.sqrt(2.0 / fanOut), rng);
        break;
      case RADIUS:
        Shapes.fillNormal(w, radius / Math.sqrt(fanIn), rng);
        break;
      default:
        double bound = 1.0 / Math.sqrt(fanIn);
        Shapes.fillUniform(w, bound, rng);
        if (b != null) {
          Shapes.fillUniform(b, bound, rng);
        }
        return;
    }
    if (b != null) {
      b.assign(0);
    }
  }
}
