package io.llt.rules.auxiliary;

import io.llt.engine.spi.LayerConfig;
import io.llt.layers.activation.Activation;
import io.llt.layers.activation.ActivationLayer;
import io.llt.layers.conv.Conv2dLayer;
import io.llt.layers.dense.DenseLayer;
import io.llt.layers.dense.WeightInit;
import io.llt.layers.norm.BatchNormLayer;
import io.llt.layers.pool.GlobalAvgPoolLayer;
import java.util.ArrayList;
import java.util.List;

/**
 * The auxiliary classifiers of the reference codebases, as the layers in front of the final linear
 * classifier (which the rule always adds). The InfoPro heads are {@code AuxClassifier} of
 * InfoPro's CIFAR code (also used by MAN, with {@code 2c2f} as MAN's default) with the
 * cross-entropy loss: a 3x3 convolution without bias that doubles the channels with stride 2 while
 * the input is narrower than the network's widest layer (16 and 32 channels in the CIFAR ResNets)
 * and keeps them with stride 1 at the widest (64), batch norm, ReLU, global average pooling, a
 * hidden linear layer of {@code featureDim} units with ReLU.
 */
public enum HeadPreset {
  /** Global average pooling (for {@code [C, H, W]} outputs): DGL-style pooling + linear ("0c1f"). */
  LINEAR,
  /** InfoPro's {@code 1c2f}: conv-BN-ReLU, pooling, linear-ReLU, then the linear classifier. */
  INFOPRO_1C2F,
  /** InfoPro's {@code 2c2f}: two conv-BN-ReLU, pooling, linear-ReLU, then the linear classifier. */
  INFOPRO_2C2F;

  /**
   * Validates a rule config's {@code preset} and {@code head} keys (at most one of them) and
   * returns the preset to use: {@code preset}, null when explicit {@code head} layers are given, or
   * {@code fallback}.
   */
  public static HeadPreset resolve(HeadPreset preset, List<LayerConfig> head, HeadPreset fallback) {
    if (head != null) {
      io.llt.engine.config.Checks.absent("preset", preset, "give either preset or head");
      return null;
    }
    return preset == null ? fallback : preset;
  }

  /**
   * Returns the head's layers for a block output of {@code shape}.
   *
   * @param shape the per-example shape the head reads
   * @param widest the largest channel count of the network's layers
   * @param featureDim the hidden linear layer's width (InfoPro heads)
   * @throws IllegalArgumentException when an InfoPro head is asked for a flat input
   */
  public List<LayerConfig> layers(long[] shape, long widest, int featureDim) {
    List<LayerConfig> out = new ArrayList<>();
    boolean image = shape.length == 3;
    if (this == LINEAR) {
      if (image) {
        out.add(new GlobalAvgPoolLayer.Config());
      }
      return out;
    }
    if (!image) {
      throw new IllegalArgumentException(
          "preset " + name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')
              + " needs a [channels, height, width] block output but the block gives "
              + java.util.Arrays.toString(shape) + "; use preset: linear");
    }
    int c = (int) shape[0];
    boolean narrower = c < widest;
    int width = narrower ? 2 * c : c;
    int convs = this == INFOPRO_1C2F ? 1 : 2;
    for (int i = 0; i < convs; i++) {
      int stride = i == 0 && narrower ? 2 : 1;
      out.add(new Conv2dLayer.Config(width, 3, stride, 1, null, false, WeightInit.KAIMING_NORMAL_FAN_OUT, null));
      out.add(new BatchNormLayer.Config(true, null, null));
      out.add(new ActivationLayer.Config(Activation.RELU));
    }
    out.add(new GlobalAvgPoolLayer.Config());
    out.add(new DenseLayer.Config(featureDim, true, Activation.RELU, WeightInit.UNIFORM_FAN_IN, null));
    return out;
  }
}
