package io.llt.rules.common;

import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A sequence of ordinary layers that a rule adds to its block (an auxiliary network's body): built
 * from layer configs or from built layers, bound into consecutive slices of the rule state's
 * parameter, gradient and buffer vectors, and run forward and backward like a block's own layers.
 * An empty stack is the identity.
 */
public final class LayerStack {
  private final List<Layer> layers;
  private final long[] inputShape;

  private LayerStack(List<Layer> layers, long[] inputShape) {
    this.layers = List.copyOf(layers);
    this.inputShape = inputShape.clone();
  }

  /**
   * Builds the layers one after another from {@code input}.
   *
   * @param key the rule key the configs come from, for messages
   * @throws IllegalArgumentException naming {@code key[j]} when layer j does not fit its input
   */
  public static LayerStack build(
      String key, List<LayerConfig> configs, long[] input, DataType dataType) {
    List<Layer> out = new ArrayList<>();
    long[] shape = input;
    for (int j = 0; j < configs.size(); j++) {
      try {
        Layer l = configs.get(j).build(shape, dataType);
        out.add(l);
        shape = l.outputShape();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("rule " + key + "[" + j + "]: " + e.getMessage(), e);
      }
    }
    return new LayerStack(out, input);
  }

  /** Returns the layers, in order. */
  public List<Layer> layers() {
    return layers;
  }

  /** Returns the per-example output shape (the input shape when the stack is empty). */
  public long[] outputShape() {
    return layers.isEmpty() ? inputShape.clone() : layers.get(layers.size() - 1).outputShape();
  }

  /** Returns the number of trainable parameters. */
  public long numParams() {
    long n = 0;
    for (Layer l : layers) {
      n += l.numParams();
    }
    return n;
  }

  /** Returns the number of buffer values (batch-norm statistics). */
  public long numBuffers() {
    long n = 0;
    for (Layer l : layers) {
      n += l.numBuffers();
    }
    return n;
  }

  /** Binds the layers to consecutive slices of {@code params} and {@code grads}, from 0. */
  public void bind(INDArray params, INDArray grads) {
    long off = 0;
    for (Layer l : layers) {
      long n = l.numParams();
      if (n > 0) {
        l.bind(slice(params, off, n), slice(grads, off, n));
      }
      off += n;
    }
  }

  /** Binds the layers' buffers to consecutive slices of {@code buffers}, from 0. */
  public void bindBuffers(INDArray buffers) {
    long off = 0;
    for (Layer l : layers) {
      long n = l.numBuffers();
      if (n > 0) {
        l.bindBuffers(slice(buffers, off, n));
        off += n;
      }
    }
  }

  /** Initialises every layer with parameters from its own stream of {@code rng}. */
  public void initialize(SplittableRandom rng) {
    for (Layer l : layers) {
      if (l.numParams() > 0) {
        l.initialize(new SplittableRandom(rng.nextLong()));
      }
    }
  }

  /** Runs the layers forward. */
  public INDArray forward(INDArray x, boolean training, Random rng) {
    INDArray h = x;
    for (Layer l : layers) {
      h = l.forward(h, training, rng);
    }
    return h;
  }

  /**
   * Runs the layers backward from dL/d(output) of the last training forward, writing every layer's
   * parameter gradients, and returns dL/d(input) ({@code gradOutput} itself for an empty stack).
   */
  public INDArray backward(INDArray gradOutput) {
    INDArray g = gradOutput;
    for (int i = layers.size() - 1; i >= 0; i--) {
      g = layers.get(i).backward(g, true);
    }
    return g;
  }

  /** Returns the values per example the layers keep between forward and backward. */
  public long activationValuesPerExample() {
    long n = 0;
    for (Layer l : layers) {
      n += l.activationValuesPerExample();
    }
    return n;
  }

  /** Returns the values per example a training forward and backward allocate. */
  public long workingValuesPerExample() {
    long n = 0;
    for (Layer l : layers) {
      n += l.workingValuesPerExample(true);
    }
    return n;
  }

  /** Returns a {@code [1, n]} view of {@code flat} from {@code off}. */
  public static INDArray slice(INDArray flat, long off, long n) {
    return flat.get(NDArrayIndex.all(), NDArrayIndex.interval(off, off + n));
  }

  /** Returns the product of a shape. */
  public static long size(long[] shape) {
    long n = 1;
    for (long v : shape) {
      n *= v;
    }
    return n;
  }
}
