package io.llt.layers.residual;

import io.llt.engine.config.Checks;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LayerProvider;
import io.llt.engine.spi.ShapeException;
import io.llt.layers.Shapes;
import io.llt.layers.conv.Conv2dLayer;
import io.llt.layers.dense.WeightInit;
import io.llt.layers.norm.BatchNormLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The basic ResNet block ({@code type: residual}) of He et al. as the CIFAR ResNets of DGL,
 * InfoPro, AugLocal and MAN build it: {@code y = relu(bn2(conv2(relu(bn1(conv1(x))))) +
 * shortcut(x))}, with 3x3 convolutions without bias (padding 1; the first one strided) and a
 * shortcut that is the identity when the shape is kept, else a strided 1x1 convolution followed
 * by batch norm (the "option B" shortcut the AugLocal spec's parameter counts assume).
 *
 * <p>It is composed of the existing {@link Conv2dLayer} and {@link BatchNormLayer} kernels, so
 * its backward is theirs chained: the gradient of the closing ReLU goes both through the main path
 * and through the shortcut, and the input gradient is their sum. Parameters are laid out conv1,
 * bn1, conv2, bn2, then (with a projection shortcut) the shortcut's conv and bn; the three batch
 * norms' running statistics are the layer's buffers, in the same order.
 */
public final class ResidualLayer implements Layer {
  /**
   * Config of a basic residual block ({@code type: residual}).
   *
   * @param channels output channels; required, > 0
   * @param stride the stride of the first 3x3 convolution and of the projection shortcut;
   *     default 1, > 0
   * @param init the convolutions' weight initialisation; default {@code kaiming-normal-fan-out}
   *     (the ResNet references' He-normal with std sqrt(2/(9 channels)))
   */
  public record Config(Integer channels, Integer stride, WeightInit init) implements LayerConfig {
    /** Validates and applies defaults. */
    public Config {
      Checks.required("channels", channels, "the number of output channels, for example 16");
      Checks.positive("channels", channels);
      stride = stride == null ? 1 : stride;
      Checks.positive("stride", stride);
      init = init == null ? WeightInit.KAIMING_NORMAL_FAN_OUT : init;
      WeightInit.checkRadius(init, null);
    }

    @Override
    public Layer build(long[] inputShape, DataType dataType) {
      return new ResidualLayer(this, inputShape, dataType);
    }
  }

  /** Registers {@code type: residual}. */
  public static final class Provider implements LayerProvider {
    @Override
    public String id() {
      return "residual";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "basic ResNet block: 3x3 conv-BN-ReLU, 3x3 conv-BN, identity or 1x1 conv-BN shortcut, ReLU";
    }
  }

  private final long[] inputShape;
  private final Layer conv1;
  private final Layer bn1;
  private final Layer conv2;
  private final Layer bn2;
  private final Layer shortcutConv;
  private final Layer shortcutBn;
  private INDArray lastMid;
  private INDArray lastOut;

  private ResidualLayer(Config config, long[] inputShape, DataType dataType) {
    if (inputShape.length != 3) {
      throw new ShapeException(
          "residual needs [channels, height, width] examples but gets "
              + Shapes.show(inputShape)
              + "; give the data or model.input a 3-D shape");
    }
    this.inputShape = inputShape.clone();
    int s = config.stride();
    BatchNormLayer.Config bn = new BatchNormLayer.Config(true, null, null);
    this.conv1 =
        new Conv2dLayer.Config(config.channels(), 3, s, 1, null, false, config.init(), null)
            .build(inputShape, dataType);
    this.bn1 = bn.build(conv1.outputShape(), dataType);
    this.conv2 =
        new Conv2dLayer.Config(config.channels(), 3, 1, 1, null, false, config.init(), null)
            .build(conv1.outputShape(), dataType);
    this.bn2 = bn.build(conv2.outputShape(), dataType);
    boolean project = s != 1 || inputShape[0] != config.channels();
    if (project) {
      this.shortcutConv =
          new Conv2dLayer.Config(config.channels(), 1, s, 0, null, false, config.init(), null)
              .build(inputShape, dataType);
      this.shortcutBn = bn.build(shortcutConv.outputShape(), dataType);
      if (!java.util.Arrays.equals(shortcutBn.outputShape(), bn2.outputShape())) {
        throw new ShapeException(
            "residual stride " + s + " on input " + Shapes.show(inputShape)
                + " gives a main path of " + Shapes.show(bn2.outputShape())
                + " but a shortcut of " + Shapes.show(shortcutBn.outputShape())
                + "; use an input whose height and width are divisible by the stride");
      }
    } else {
      this.shortcutConv = null;
      this.shortcutBn = null;
    }
  }

  /** Returns the sub-layers in parameter order: conv1, bn1, conv2, bn2 (, shortcut conv, bn). */
  List<Layer> parts() {
    List<Layer> out = new ArrayList<>(List.of(conv1, bn1, conv2, bn2));
    if (shortcutConv != null) {
      out.add(shortcutConv);
      out.add(shortcutBn);
    }
    return out;
  }

  /** Returns true when the shortcut is a strided 1x1 convolution with batch norm. */
  public boolean projects() {
    return shortcutConv != null;
  }

  @Override
  public long[] inputShape() {
    return inputShape.clone();
  }

  @Override
  public long[] outputShape() {
    return bn2.outputShape();
  }

  @Override
  public long numParams() {
    long n = 0;
    for (Layer l : parts()) {
      n += l.numParams();
    }
    return n;
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    long off = 0;
    for (Layer l : parts()) {
      long n = l.numParams();
      l.bind(slice(params, off, n), slice(grads, off, n));
      off += n;
    }
  }

  @Override
  public void initialize(SplittableRandom rng) {
    for (Layer l : parts()) {
      l.initialize(new SplittableRandom(rng.nextLong()));
    }
  }

  @Override
  public long numBuffers() {
    long n = 0;
    for (Layer l : parts()) {
      n += l.numBuffers();
    }
    return n;
  }

  @Override
  public void bindBuffers(INDArray buffers) {
    long off = 0;
    for (Layer l : parts()) {
      long n = l.numBuffers();
      if (n > 0) {
        l.bindBuffers(slice(buffers, off, n));
        off += n;
      }
    }
  }

  private static INDArray slice(INDArray flat, long off, long n) {
    return flat.get(NDArrayIndex.all(), NDArrayIndex.interval(off, off + n));
  }

  @Override
  public INDArray forward(INDArray input, boolean training, Random rng) {
    // bn1's and bn2's outputs are not kept by them, so the ReLU and the sum work in place
    INDArray mid = Transforms.relu(bn1.forward(conv1.forward(input, training, rng), training, rng), false);
    INDArray out = bn2.forward(conv2.forward(mid, training, rng), training, rng);
    if (shortcutConv != null) {
      out.addi(shortcutBn.forward(shortcutConv.forward(input, training, rng), training, rng));
    } else {
      out.addi(input);
    }
    Transforms.relu(out, false);
    if (training) {
      lastMid = mid;
      lastOut = out;
    }
    return out;
  }

  @Override
  public INDArray backward(INDArray gradOutput, boolean needInputGrad) {
    if (lastOut == null) {
      throw new IllegalStateException("residual backward without a training forward");
    }
    // the output may be read by others (the next block's input), so its mask is a copy; sign(a) is
    // 1 where a > 0 and 0 where a == 0, the ReLU's derivative
    INDArray g = Transforms.sign(lastOut, true).muli(gradOutput);
    INDArray shortcutGrad = g;
    if (shortcutConv != null) {
      shortcutGrad = shortcutConv.backward(shortcutBn.backward(g, true), needInputGrad);
    }
    INDArray gMid = conv2.backward(bn2.backward(g, true), true);
    // the inner activation is private to this layer: its mask is made in place
    gMid.muli(Transforms.sign(lastMid, false));
    INDArray dx = conv1.backward(bn1.backward(gMid, true), needInputGrad);
    lastMid = null;
    lastOut = null;
    return needInputGrad ? dx.addi(shortcutGrad) : null;
  }

  /** Keeps the sub-layers' activations, the inner ReLU's output and the block's output. */
  @Override
  public long activationValuesPerExample() {
    long n = Shapes.size(bn1.outputShape()) + Shapes.size(outputShape());
    for (Layer l : parts()) {
      n += l.activationValuesPerExample();
    }
    return n;
  }

  /**
   * Counts the sub-layers' own allocations (the batch norms always asked for their input
   * gradient; conv1 and the shortcut conv for theirs only when {@code needInputGrad}) and the
   * closing ReLU's mask (one output); the inner ReLU, the residual sum and the input-gradient sum
   * work in place.
   */
  @Override
  public long workingValuesPerExample(boolean needInputGrad) {
    long n =
        conv1.workingValuesPerExample(needInputGrad)
            + bn1.workingValuesPerExample(true)
            + conv2.workingValuesPerExample(true)
            + bn2.workingValuesPerExample(true)
            + Shapes.size(outputShape());
    if (shortcutConv != null) {
      n += shortcutConv.workingValuesPerExample(needInputGrad) + shortcutBn.workingValuesPerExample(true);
    }
    return n;
  }
}
