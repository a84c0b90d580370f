package io.llt.rules.auxiliary;

import java.util.ArrayList;
import java.util.List;

/**
 * AugLocal's construction rules (Ma et al., ICLR 2024; spec auglocal-man-pipeline.md 4(b)) as pure
 * functions: the pyramidal depth of every auxiliary network, the uniformly spaced later layers it
 * copies, and the width and stride of each copied layer. Every rounding is Python's {@code round}
 * (half to even, {@link Math#rint}), never {@link Math#round}: the two build different networks
 * (for ResNet-32 with d = 2, layer 2's net copies layers [8, 15] under half-even and [9, 15] under
 * half-up).
 */
public final class AugLocalPlan {
  private AugLocalPlan() {}

  /**
   * One layer of an auxiliary network: a fresh copy of primary layer {@code layer}'s architecture.
   *
   * @param layer the index of the copied primary layer
   * @param width its output channels in the auxiliary network ({@code widen} times the layer's)
   * @param stride 2 where the width has doubled since the last down-sampling, else 1
   */
  public record AuxLayer(int layer, int width, int stride) {}

  /**
   * Returns the depth d_j of the auxiliary network of every aux-trained layer j = 0..K'-2.
   *
   * @param depth the base depth d (>= 1)
   * @param pyramid whether the depth decays with j ({@code --pyramid})
   * @param coeff the decay coefficient tau ({@code --pyramid_coeff}, 0.5)
   * @param modules K', the number of local modules: the aux-trained layers plus the final module
   *     (the user's K minus d in the reference code)
   */
  public static int[] depths(int depth, boolean pyramid, double coeff, int modules) {
    int n = modules - 1;
    int[] out = new int[Math.max(0, n)];
    for (int j = 0; j < out.length; j++) {
      if (!pyramid) {
        out[j] = depth;
        continue;
      }
      double ratio = modules - 2 == 0 ? 0 : coeff * j / (modules - 2);
      out[j] = Math.max(1, (int) Math.rint(depth * (1 - ratio) + ratio));
    }
    return out;
  }

  /**
   * Returns the primary layers layer j's auxiliary network copies: all later layers when d_j covers
   * them, else {@code rnd(j + i (L-1-j) / d_j)} for i = 1..d_j; the last is always L-1.
   *
   * @param j the layer's index among the primary network's L layers
   * @param dj its auxiliary depth
   * @param layers L
   */
  public static int[] selection(int j, int dj, int layers) {
    int r = layers - 1 - j;
    if (dj >= r) {
      int[] all = new int[r];
      for (int i = 0; i < r; i++) {
        all[i] = j + 1 + i;
      }
      return all;
    }
    int[] out = new int[dj];
    for (int i = 1; i <= dj; i++) {
      out[i - 1] = (int) Math.rint(j + (double) i * r / dj);
    }
    return out;
  }

  /**
   * Returns the auxiliary network's layers: for each selected layer s in order, the accumulated
   * width ratio {@code p += floor(log2(c_s / c))} decides the stride (2 while p >= 1, which then
   * uses one level up), and the width becomes {@code widen * c_s}.
   *
   * @param inputWidth c_j, the channels of layer j's output
   * @param selected the selected layer indices, ascending
   * @param widths the output channels of every primary layer
   * @param widen the widen factor w (1.0 in every reference run)
   */
  public static List<AuxLayer> layers(
      int inputWidth, int[] selected, int[] widths, double widen) {
    List<AuxLayer> out = new ArrayList<>();
    int c = inputWidth;
    int p = 0;
    for (int s : selected) {
      p += floorLog2Ratio(widths[s], c);
      int stride = 1;
      if (p >= 1) {
        stride = 2;
        p -= 1;
      }
      int w = (int) (widen * widths[s]);
      out.add(new AuxLayer(s, w, stride));
      c = w;
    }
    return out;
  }

  /** Returns floor(log2(a / b)) for positive widths (negative when a narrows below b). */
  static int floorLog2Ratio(int a, int b) {
    return (int) Math.floor(Math.log((double) a / b) / Math.log(2) + 1e-12);
  }
}
