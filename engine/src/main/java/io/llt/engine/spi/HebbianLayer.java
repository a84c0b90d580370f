package io.llt.engine.spi;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A layer whose weights a Hebbian rule updates directly, without gradients (SoftHebb): neuron k
 * has a weight vector {@code w_k} over its receptive field of {@link #fanIn()} values and responds
 * {@code u[k, r] = w_k . patch_r} at every response r (an example of a dense layer; an example and
 * output position of a convolution).
 *
 * <p>After a training {@link #forward}, {@link #lastResponses()} and {@link #patchProduct} read
 * what that forward kept; both are valid only until the step's workspace closes.
 */
public interface HebbianLayer extends Layer {
  /** Returns the number of neurons (output channels or units) K. */
  long neurons();

  /** Returns the receptive-field size of one neuron (input channels times kernel area, or fan-in). */
  long fanIn();

  /** Returns true when the layer adds a bias (Hebbian rules here require none). */
  boolean hasBias();

  /** Returns the weights as {@code [K, fanIn]}, one row per neuron: a view into the parameters. */
  INDArray neuronWeights();

  /**
   * Returns the responses u of the last training forward as {@code [K, R]}: column r is one
   * example (dense) or one example and output position (convolution, example-major).
   */
  INDArray lastResponses();

  /**
   * Returns {@code sum_r y[k, r] patch_r} as a new {@code [K, fanIn]} array, for {@code y} laid out
   * like {@link #lastResponses()}: the Hebbian term, computed from the patches the last training
   * forward kept (a convolution's im2col matrix, a dense layer's input).
   */
  INDArray patchProduct(INDArray y);
}
