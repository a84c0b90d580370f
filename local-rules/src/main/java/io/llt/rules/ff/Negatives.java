package io.llt.rules.ff;

import java.util.SplittableRandom;

/**
 * Host-side generators of Forward-Forward's inputs (spec 1(b)9): label overlay, wrong labels drawn
 * uniformly from the C-1 wrong classes or from the network's own scores (hard negatives), and the
 * unsupervised hybrid images made through blurred random masks. All randomness comes from the
 * caller's seeded stream, so a batch's negatives are reproducible.
 */
public final class Negatives {
  private Negatives() {}

  /**
   * Returns a wrong label for class {@code y}: uniform over the {@code classes - 1} other classes,
   * never {@code y} itself (the mohammadpz {@code y[randperm]} bug draws the true label about 1/C
   * of the time; spec 1(f)).
   */
  public static int uniformWrongLabel(int y, int classes, SplittableRandom rng) {
    int r = rng.nextInt(classes - 1);
    return r >= y ? r + 1 : r;
  }

  /**
   * Returns a hard wrong label for class {@code y}: drawn with probability proportional to {@code
   * exp(score_c)} over the wrong classes c, so labels the network confuses with the true one are
   * drawn most. The spec marks Hinton's hard-negative procedure as recalled, low confidence
   * (1(b)9); this is our reading of it.
   *
   * @param scores the network's scores of this example, one per class
   */
  public static int hardWrongLabel(int y, double[] scores, SplittableRandom rng) {
    int classes = scores.length;
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      if (c != y) {
        max = Math.max(max, scores[c]);
      }
    }
    double[] w = new double[classes];
    double total = 0;
    for (int c = 0; c < classes; c++) {
      w[c] = c == y || !Double.isFinite(scores[c]) ? 0 : Math.exp(scores[c] - max);
      total += w[c];
    }
    if (!(total > 0) || !Double.isFinite(total)) {
      return uniformWrongLabel(y, classes, rng);
    }
    double u = rng.nextDouble() * total;
    int last = -1;
    for (int c = 0; c < classes; c++) {
      if (w[c] > 0) {
        last = c;
        u -= w[c];
        if (u < 0) {
          return c;
        }
      }
    }
    return last;
  }

  /**
   * Returns a hybrid-image mask of {@code height x width} values in {0, 1} (spec 1(b)9): a random
   * binary image blurred {@code passes} times with the filter [1/4, 1/2, 1/4] horizontally and
   * vertically (edges replicated), then thresholded at 0.5. The negative example is {@code m * x1
   * + (1 - m) * x2}.
   */
  public static double[] hybridMask(int height, int width, int passes, SplittableRandom rng) {
    double[] m = new double[height * width];
    for (int i = 0; i < m.length; i++) {
      m[i] = rng.nextBoolean() ? 1 : 0;
    }
    double[] t = new double[m.length];
    for (int p = 0; p < passes; p++) {
      for (int r = 0; r < height; r++) {
        for (int c = 0; c < width; c++) {
          int left = Math.max(c - 1, 0);
          int right = Math.min(c + 1, width - 1);
          t[r * width + c] =
              0.25 * m[r * width + left] + 0.5 * m[r * width + c] + 0.25 * m[r * width + right];
        }
      }
      for (int r = 0; r < height; r++) {
        int up = Math.max(r - 1, 0);
        int down = Math.min(r + 1, height - 1);
        for (int c = 0; c < width; c++) {
          m[r * width + c] =
              0.25 * t[up * width + c] + 0.5 * t[r * width + c] + 0.25 * t[down * width + c];
        }
      }
    }
    for (int i = 0; i < m.length; i++) {
      m[i] = m[i] > 0.5 ? 1 : 0;
    }
    return m;
  }
}
