package io.llt.rules.auxiliary;

import io.llt.engine.config.Checks;
import io.llt.engine.config.InvalidValueException;
import io.llt.engine.spi.LayerConfig;
import io.llt.layers.activation.Activation;
import io.llt.layers.activation.ActivationLayer;
import io.llt.layers.conv.Conv2dLayer;
import io.llt.layers.dense.WeightInit;
import io.llt.layers.norm.BatchNormLayer;
import io.llt.layers.shape.UpsampleLayer;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * InfoPro's local loss (Wang et al., ICLR 2021; spec auglocal-man-pipeline.md section 3) as the
 * {@code infopro} key of the auxiliary rules: {@code L_k = lambda1(k) BCE(sigmoid(D(up(z_k))),
 * x~) + lambda2(k) CE(head(z_k), y)}, where z_k is what the head reads (the block output; in MAN
 * the branch output {@code LB + E}), {@code up} is bilinear upsampling to the image size with
 * align_corners=True (skipped when the sizes agree), D is InfoPro's decoder {@code 2c} (conv3x3
 * C to {@code decoderWidth} with bias, batch norm, ReLU, conv3x3 to the image channels with bias;
 * He-normal fan-out weights as the reference's init loop; the biases start at zero, where
 * PyTorch's default would be uniform in +-1/sqrt(fan-in): which the reference keeps is not
 * verified) and x~ is the de-normalised input image in
 * [0, 1]. The BCE is the mean over every pixel of the batch ({@code nn.BCELoss()}), computed from
 * the logits in the stable form {@code softplus(a) - x~ a}.
 *
 * <p>The weights move linearly over the non-final blocks, {@code lambda = w1 (1 - r) + w2 r} with
 * {@code r = k / (K - 2)} for block k of K (0 when K = 2), InfoPro's {@code ixx_1, ixx_2} and
 * {@code ixy_1, ixy_2}. MAN's released code interpolates by the stage index of the next block
 * instead (spec 5(b) item 7); with its README values both weights shrink by the same factor, so
 * only the block's loss scale differs. Here both rules use InfoPro's block index, so that a MAN run
 * and its InfoPro baseline weigh every block alike.
 *
 * @param reconstruction lambda1: one value for every block, or {@code [first block, last auxiliary
 *     block]}; each >= 0, finite
 * @param task lambda2, the same way; default 1
 * @param decoderWidth the decoder's hidden channels; default 12 (InfoPro's), > 0
 */
public record InfoProLoss(List<Double> reconstruction, List<Double> task, Integer decoderWidth) {
  /** The name of the unweighted reconstruction BCE in the logged loss terms. */
  public static final String RECONSTRUCTION_TERM = "reconstruction";

  /** The name of the unweighted task cross-entropy in the logged loss terms. */
  public static final String TASK_TERM = "task";

  /** Validates and applies defaults. */
  public InfoProLoss {
    Checks.required(
        "reconstruction", reconstruction,
        "the weight of the reconstruction loss, one value or [first block, last auxiliary block],"
            + " for example [5, 0.2]");
    reconstruction = weights("reconstruction", reconstruction);
    task = task == null ? List.of(1.0) : weights("task", task);
    decoderWidth = decoderWidth == null ? 12 : decoderWidth;
    Checks.positive("decoderWidth", decoderWidth);
  }

  private static List<Double> weights(String key, List<Double> w) {
    if (w.isEmpty() || w.size() > 2) {
      throw new InvalidValueException(
          key, "needs one weight or two ([first block, last auxiliary block]), found " + w);
    }
    for (Double v : w) {
      if (v == null || !(v >= 0) || Double.isInfinite(v)) {
        throw new InvalidValueException(key, "weights must be finite and >= 0, found " + w);
      }
    }
    return List.copyOf(w);
  }

  /** Returns InfoPro's mixing ratio {@code k / (K - 2)} of block k of K (0 when K <= 2). */
  static double ratio(int block, int blocks) {
    return blocks <= 2 ? 0 : (double) block / (blocks - 2);
  }

  private static double at(List<Double> w, int block, int blocks) {
    double r = ratio(block, blocks);
    double last = w.get(w.size() - 1);
    return w.get(0) * (1 - r) + last * r;
  }

  /** Returns lambda1 of block k of K. */
  double reconstructionWeight(int block, int blocks) {
    return at(reconstruction, block, blocks);
  }

  /** Returns lambda2 of block k of K. */
  double taskWeight(int block, int blocks) {
    return at(task, block, blocks);
  }

  /**
   * Returns the decoder's layers for features of shape {@code [C, h, w]} and images of shape
   * {@code image}: the upsampling when the sizes differ, then InfoPro's {@code 2c} decoder (its
   * output is the logits; the sigmoid is in the loss).
   *
   * @throws IllegalArgumentException when the features or the images are not [C, H, W]
   */
  List<LayerConfig> decoder(long[] features, long[] image) {
    if (features.length != 3 || image.length != 3) {
      throw new IllegalArgumentException(
          "infopro reconstructs images from [channels, height, width] features, but the features"
              + " are " + java.util.Arrays.toString(features) + " and the input "
              + java.util.Arrays.toString(image) + "; remove the infopro key");
    }
    List<LayerConfig> out = new ArrayList<>();
    if (features[1] != image[1] || features[2] != image[2]) {
      out.add(new UpsampleLayer.Config((int) image[1], (int) image[2]));
    }
    out.add(conv(decoderWidth));
    out.add(new BatchNormLayer.Config(true, null, null));
    out.add(new ActivationLayer.Config(Activation.RELU));
    out.add(conv((int) image[0]));
    return out;
  }

  private static LayerConfig conv(int filters) {
    return new Conv2dLayer.Config(
        filters, 3, 1, 1, null, true, WeightInit.KAIMING_NORMAL_FAN_OUT, null);
  }

  /**
   * The mean binary cross-entropy of {@code sigmoid(a)} against targets {@code t} in [0, 1], over
   * every element: writes the loss to {@code lossOut[0]} and returns {@code weight dL/da = weight
   * (sigmoid(a) - t) / n}.
   */
  static INDArray bce(INDArray a, INDArray t, double weight, double[] lossOut) {
    long n = a.length();
    // softplus(a) - t a = max(a, 0) + log(1 + exp(-|a|)) - t a
    INDArray loss = Transforms.abs(a, true).negi();
    Transforms.exp(loss, false);
    Transforms.log1p(loss, false);
    loss.addi(Transforms.relu(a, true)).subi(t.mul(a));
    lossOut[0] = loss.sumNumber().doubleValue() / n;
    return Transforms.sigmoid(a, true).subi(t).muli(weight / n);
  }

  /** Counts the values per example {@link #bce} allocates for an image of {@code size} values. */
  static long bceValuesPerExample(long size) {
    return 4 * size;
  }
}
