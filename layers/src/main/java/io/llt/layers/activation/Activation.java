package io.llt.layers.activation;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Element-wise activation functions. Each derivative is computed from the activation's output
 * only, so a layer keeps one array between forward and backward.
 */
public enum Activation {
  /** max(0, x). */
  RELU,
  /** tanh(x). */
  TANH,
  /** 1 / (1 + exp(-x)). */
  SIGMOID,
  /** x. */
  IDENTITY;

  /** Applies the function in place to {@code z} and returns it. */
  public INDArray applyInPlace(INDArray z) {
    switch (this) {
      case RELU:
        return Transforms.relu(z, false);
      case TANH:
        return Transforms.tanh(z, false);
      case SIGMOID:
        return Transforms.sigmoid(z, false);
      default:
        return z;
    }
  }

  /**
   * Returns dL/dz given dL/da and the output a; {@code gradOutput} is not modified.
   *
   * @param gradOutput dL/da
   * @param output a = f(z)
   */
  public INDArray backward(INDArray gradOutput, INDArray output) {
    switch (this) {
      case RELU:
        // sign(a) is 1 where a > 0 and 0 where a == 0: the ReLU mask (derivative 0 at z = 0)
        return Transforms.sign(output, true).muli(gradOutput);
      case TANH:
        return output.mul(output).rsubi(1).muli(gradOutput);
      case SIGMOID:
        return output.rsub(1).muli(output).muli(gradOutput);
      default:
        return gradOutput;
    }
  }

  /**
   * Returns how many arrays of the output's size {@link #backward} allocates: one for relu (the
   * {@code sign(a)} mask), tanh ({@code a * a}) and sigmoid ({@code 1 - a}), each then updated in
   * place into dL/dz; none for identity, which returns {@code gradOutput} itself.
   */
  public int backwardAllocations() {
    return this == IDENTITY ? 0 : 1;
  }
}
