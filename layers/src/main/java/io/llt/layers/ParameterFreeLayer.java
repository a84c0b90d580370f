package io.llt.layers;

import io.llt.engine.spi.Layer;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Base of layers without parameters whose output shape equals their input shape (activations,
 * dropout, normalisation): it supplies the shape, parameter and initialisation parts of {@link
 * Layer}, leaving forward, backward and the activation count to the subclass.
 */
public abstract class ParameterFreeLayer implements Layer {
  private final long[] shape;

  /** Creates the layer for a per-example shape, which is both its input and its output shape. */
  protected ParameterFreeLayer(long[] shape) {
    this.shape = shape.clone();
  }

  /** Returns the number of values per example. */
  protected long size() {
    return Shapes.size(shape);
  }

  @Override
  public long[] inputShape() {
    return shape.clone();
  }

  @Override
  public long[] outputShape() {
    return shape.clone();
  }

  @Override
  public long numParams() {
    return 0;
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    throw new IllegalStateException(getClass().getSimpleName() + " has no parameters to bind");
  }

  @Override
  public void initialize(SplittableRandom rng) {}
}
