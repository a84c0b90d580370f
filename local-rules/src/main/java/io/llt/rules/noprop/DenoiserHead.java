package io.llt.rules.noprop;

import io.llt.engine.config.Checks;
import io.llt.engine.graph.Block;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.rules.common.LayerStack;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The part of a NoProp block that the rule adds to the block's own layers (the image path): the
 * label path on the noisy label z (a stem, then layers with a skip connection around them),
 * optionally a time path on a time embedding (CT and FM), and the fusion on the concatenated
 * {@code [image features, label features (, time features)]} (spec 2(d)). Built from the rule's
 * layer configs; the layers' parameters are bound into the block's flat vector by the rule state,
 * and their batch-norm statistics live in this head's {@link #buffers()}.
 */
final class DenoiserHead implements AutoCloseable {
  private final List<Layer> stem;
  private final List<Layer> residual;
  private final List<Layer> time;
  private final List<Layer> fusion;
  private final long imageWidth;
  private final long labelWidth;
  private final long timeWidth;
  private final DataType dataType;
  private final INDArray buffers;
  private final long layerBufferCount;
  private final LabelAblation ablation;

  private DenoiserHead(
      List<Layer> stem,
      List<Layer> residual,
      List<Layer> time,
      List<Layer> fusion,
      long imageWidth,
      DataType dataType,
      LabelAblation ablation,
      boolean allocate,
      long extra) {
    this.ablation = ablation;
    this.stem = stem;
    this.residual = residual;
    this.time = time;
    this.fusion = fusion;
    this.imageWidth = imageWidth;
    this.labelWidth = size(stem.get(stem.size() - 1).outputShape());
    this.timeWidth = time.isEmpty() ? 0 : size(time.get(time.size() - 1).outputShape());
    this.dataType = dataType;
    long nb = 0;
    for (Layer l : all()) {
      nb += l.numBuffers();
    }
    this.layerBufferCount = nb;
    if (!allocate || nb + extra == 0) {
      this.buffers = null;
      return;
    }
    // the batch-norm statistics are a few KB, allocated with the head so that the memory estimate
    // (which never binds a rule state) sees them; the caller's extra values follow them
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      this.buffers = Nd4j.zeros(dataType, 1, nb + extra);
    }
    long off = 0;
    for (Layer l : all()) {
      if (l.numBuffers() > 0) {
        l.bindBuffers(slice(buffers, off, l.numBuffers()));
        off += l.numBuffers();
      }
    }
  }

  /**
   * Builds a head, throwing {@link IllegalArgumentException} with a message naming the rule's key
   * when a layer does not fit its input or the shapes do not join up.
   *
   * @param labelStem the label path's first layers (key {@code labelStem})
   * @param labelResidual the layers around which the skip connection goes (may be empty)
   * @param timePath the time path's layers on the time embedding (empty: no time input)
   * @param timeInput the width of the time embedding the time path reads (ignored without one)
   * @param fusionLayers the fusion's layers (key {@code fusion})
   * @param fusionOut the number of values the fusion must end in, and what they are
   * @param imageWidth the width of the image path's output
   * @param labelInput the width of the noisy label z (the embedding dimension d)
   * @param dataType the data type of the layers
   * @param ablation what the label path reads or gives ({@link LabelAblation})
   * @param allocate false to check the shapes only (no buffers are allocated)
   * @param extra how many more fixed values to allocate after the layers' buffers ({@link
   *     #extraBuffers}), so that one array carries both into a checkpoint; 0 for none
   */
  static DenoiserHead build(
      List<LayerConfig> labelStem,
      List<LayerConfig> labelResidual,
      List<LayerConfig> timePath,
      int timeInput,
      List<LayerConfig> fusionLayers,
      FusionOutput fusionOut,
      long imageWidth,
      long labelInput,
      DataType dataType,
      LabelAblation ablation,
      boolean allocate,
      long extra) {
    List<Layer> stem = stack("labelStem", labelStem, new long[] {labelInput}, dataType);
    long[] stemOut = stem.get(stem.size() - 1).outputShape();
    List<Layer> residual = stack("labelResidual", labelResidual, stemOut, dataType);
    if (!residual.isEmpty()) {
      long[] resOut = residual.get(residual.size() - 1).outputShape();
      if (!Arrays.equals(resOut, stemOut)) {
        throw new IllegalArgumentException(
            "rule labelResidual ends with shape " + Arrays.toString(resOut)
                + " but the skip connection adds it to labelStem's output "
                + Arrays.toString(stemOut) + "; make its last layer output "
                + Arrays.toString(stemOut));
      }
    }
    List<Layer> time = stack("timePath", timePath, new long[] {timeInput}, dataType);
    long timeWidth = time.isEmpty() ? 0 : size(time.get(time.size() - 1).outputShape());
    List<Layer> fusion =
        stack(
            "fusion", fusionLayers, new long[] {imageWidth + size(stemOut) + timeWidth}, dataType);
    long out = size(fusion.get(fusion.size() - 1).outputShape());
    if (out != fusionOut.values()) {
      throw new IllegalArgumentException(
          "rule fusion ends with " + out + " values but " + fusionOut.what() + " needs "
              + fusionOut.values() + "; make the last fusion layer output " + fusionOut.values());
    }
    return new DenoiserHead(
        stem, residual, time, fusion, imageWidth, dataType, ablation, allocate, extra);
  }

  /**
   * What the fusion must output.
   *
   * @param values how many values per example
   * @param what the reason, for the error message (for example "prediction softmax-embedding")
   */
  record FusionOutput(long values, String what) {}

  private static List<Layer> stack(
      String key, List<LayerConfig> configs, long[] input, DataType dataType) {
    return LayerStack.build(key, configs, input, dataType).layers();
  }

  /**
   * Validates a required, non-empty layer list of a NoProp rule config (the head's paths) and returns an immutable copy.
   *
   * @param example what to write, for the message
   */
  static List<LayerConfig> requiredLayers(String key, List<LayerConfig> layers, String example) {
    Checks.required(key, layers, example);
    Checks.nonEmpty(key, layers);
    return List.copyOf(layers);
  }

  private static INDArray slice(INDArray flat, long off, long n) {
    return LayerStack.slice(flat, off, n);
  }

  static long size(long[] shape) {
    return LayerStack.size(shape);
  }

  /** Returns every layer: stem, residual, time path, fusion. */
  List<Layer> all() {
    List<Layer> out = new ArrayList<>(stem);
    out.addAll(residual);
    out.addAll(time);
    out.addAll(fusion);
    return out;
  }

  /** Returns the width of the image path's output. */
  long imageWidth() {
    return imageWidth;
  }

  /** Returns the width of the fusion's output. */
  long outputWidth() {
    return size(fusion.get(fusion.size() - 1).outputShape());
  }

  /** Returns the number of trainable parameters of the head's layers. */
  long numParams() {
    long n = 0;
    for (Layer l : all()) {
      n += l.numParams();
    }
    return n;
  }

  /** Binds the layers to consecutive slices of {@code params} and {@code grads}, from 0. */
  void bind(INDArray params, INDArray grads) {
    long off = 0;
    for (Layer l : all()) {
      long n = l.numParams();
      if (n > 0) {
        l.bind(slice(params, off, n), slice(grads, off, n));
      }
      off += n;
    }
  }

  /** Initialises every layer with parameters from its own stream of {@code rng}. */
  void initialize(SplittableRandom rng) {
    for (Layer l : all()) {
      if (l.numParams() > 0) {
        l.initialize(new SplittableRandom(rng.nextLong()));
      }
    }
  }

  /** Returns the layers' batch-norm statistics as one flat vector, or null when there are none. */
  INDArray buffers() {
    return buffers;
  }

  /**
   * Returns the caller's extra fixed values (a view after the layers' buffers, zeros until set), or
   * null when the head was built without any or without allocating.
   */
  INDArray extraBuffers() {
    if (buffers == null || buffers.length() == layerBufferCount) {
      return null;
    }
    return slice(buffers, layerBufferCount, buffers.length() - layerBufferCount);
  }

  /**
   * Runs the head: {@code fusion([hx, labelPath(z) (, timePath(te))])}.
   *
   * @param hx the image path's output {@code [batch, imageWidth]}
   * @param z the label path's input {@code [batch, d]}
   * @param timeEmbedding the time path's input, or null without a time path
   * @param training training mode (batch statistics, dropout)
   * @param rng the block's random stream
   */
  INDArray forward(INDArray hx, INDArray z, INDArray timeEmbedding, boolean training, Random rng) {
    INDArray h = labelFeatures(z, training, rng);
    INDArray f;
    if (time.isEmpty()) {
      f = Nd4j.concat(1, hx, h);
    } else {
      INDArray te = timeEmbedding;
      for (Layer l : time) {
        te = l.forward(te, training, rng);
      }
      f = Nd4j.concat(1, hx, h, te);
    }
    for (Layer l : fusion) {
      f = l.forward(f, training, rng);
    }
    return f;
  }

  /** The label path's output for z, as the ablation has it. */
  private INDArray labelFeatures(INDArray z, boolean training, Random rng) {
    if (ablation == LabelAblation.ZERO_FEATURES) {
      return Nd4j.zeros(dataType, z.size(0), labelWidth);
    }
    INDArray h = ablation == LabelAblation.ZERO_INPUT ? Nd4j.zeros(dataType, z.shape()) : z;
    for (Layer l : stem) {
      h = l.forward(h, training, rng);
    }
    if (!residual.isEmpty()) {
      INDArray r = h;
      for (Layer l : residual) {
        r = l.forward(r, training, rng);
      }
      h = h.add(r);
    }
    return h;
  }

  /**
   * Back-propagates dL/d(head output) of the last training forward through the fusion, the label
   * path (both branches of the skip connection), the time path and, through {@link
   * Block#backward}, the block's image path. Neither z nor the time embedding gets a gradient.
   */
  void backward(Block block, INDArray dOut) {
    backward(block, dOut, false);
  }

  /**
   * As {@link #backward(Block, INDArray)}, and when {@code labelInputGrad} also returns dL/dz, the
   * gradient with respect to the label path's input (zeros under an ablation, which cuts z off);
   * NoProp-CT needs it for its learned schedule, which moves z_t.
   *
   * @return dL/dz {@code [batch, d]}, or null when not asked
   */
  INDArray backward(Block block, INDArray dOut, boolean labelInputGrad) {
    INDArray g = dOut;
    for (int i = fusion.size() - 1; i >= 0; i--) {
      g = fusion.get(i).backward(g, true);
    }
    INDArray dhx = g.get(NDArrayIndex.all(), NDArrayIndex.interval(0, imageWidth)).dup('c');
    INDArray dh =
        g.get(NDArrayIndex.all(), NDArrayIndex.interval(imageWidth, imageWidth + labelWidth))
            .dup('c');
    if (!time.isEmpty()) {
      long from = imageWidth + labelWidth;
      INDArray dt =
          g.get(NDArrayIndex.all(), NDArrayIndex.interval(from, from + timeWidth)).dup('c');
      backwardStack(time, dt, false);
    }
    INDArray dz = null;
    if (ablation == LabelAblation.ZERO_FEATURES) {
      // the label path did not run: its gradients stay zero
      block.backward(dhx);
    } else {
      if (!residual.isEmpty()) {
        INDArray gr = dh;
        for (int i = residual.size() - 1; i >= 0; i--) {
          gr = residual.get(i).backward(gr, true);
        }
        dh = dh.add(gr);
      }
      dz = backwardStack(stem, dh, labelInputGrad && ablation == LabelAblation.NONE);
      block.backward(dhx);
    }
    if (labelInputGrad && dz == null) {
      long d = stem.get(0).inputShape()[0];
      dz = Nd4j.zeros(dataType, dOut.size(0), d);
    }
    return labelInputGrad ? dz : null;
  }

  /**
   * Backward through a stack; without {@code inputGrad} (as {@link Block#backward}) nothing below
   * its first layer with parameters runs and null is returned, with it every layer runs and the
   * stack's input gradient is returned.
   */
  private static INDArray backwardStack(List<Layer> layers, INDArray g, boolean inputGrad) {
    int first = inputGrad ? 0 : firstWithParams(layers);
    for (int i = layers.size() - 1; i >= first; i--) {
      g = layers.get(i).backward(g, inputGrad || i > first);
    }
    return inputGrad ? g : null;
  }

  private static int firstWithParams(List<Layer> layers) {
    int first = 0;
    while (first < layers.size() - 1 && layers.get(first).numParams() == 0) {
      first++;
    }
    return first;
  }

  /**
   * Counts the values per example one training forward and backward of the head allocates: every
   * layer's working values (the stem's and time path's first layer with parameters and those
   * below it get no input gradient, the rest do), the skip connection's sum and its gradient's
   * sum, the concatenation and the columns of its gradient; under an ablation the zeros instead of
   * z or of the label path.
   */
  long workingValuesPerExample() {
    long n = 0;
    n += stackWorking(time, false);
    for (Layer l : fusion) {
      n += l.workingValuesPerExample(true);
    }
    if (ablation == LabelAblation.ZERO_FEATURES) {
      n += labelWidth;
    } else {
      n += stackWorking(stem, false) + (ablation == LabelAblation.ZERO_INPUT ? stem.get(0).inputShape()[0] : 0);
      for (Layer l : residual) {
        n += l.workingValuesPerExample(true);
      }
      n += residual.isEmpty() ? 0 : 2 * labelWidth;
    }
    long cat = imageWidth + labelWidth + timeWidth;
    return n + 2 * cat;
  }

  private static long stackWorking(List<Layer> layers, boolean inputGrad) {
    long n = 0;
    int first = firstWithParams(layers);
    for (int i = 0; i < layers.size(); i++) {
      n += layers.get(i).workingValuesPerExample(inputGrad || i > first);
    }
    return n;
  }

  @Override
  public void close() {
    if (buffers != null) {
      buffers.close();
    }
  }
}
