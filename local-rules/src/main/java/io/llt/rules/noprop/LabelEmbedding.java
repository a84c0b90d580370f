package io.llt.rules.noprop;

/**
 * The values of a label embedding {@code W_Embed in R^{C x d}}: class y's embedding is the row
 * {@code u_y = W_Embed[y]}, the clean target every NoProp block denoises toward. Spec:
 * specs/monoforward-noprop-softhebb.md section 2(b), "Label embeddings" and "Block output
 * parameterisation".
 *
 * <p>A block outputs logits {@code l in R^C} and its prediction is the convex combination {@code
 * uhat = softmax(l) W_Embed} (paper Fig. 6), which {@link #fromLogits} computes.
 *
 * <p>This class holds one matrix: the paper's one-hot embedding ({@link #oneHot}), or any given
 * matrix ({@link #of}), for instance the prototypes ({@link Kind#PROTOTYPE}) or the current values
 * of a trained embedding, which the rule state rebuilds from the shared parameters every step
 * ({@link SharedEmbedding}). Immutable.
 */
public final class LabelEmbedding {
  /** Where a NoProp rule's embedding comes from (spec 2(b), "Label embeddings"). */
  public enum Kind {
    /** The fixed identity, d = C (the paper's default). */
    ONE_HOT,
    /**
     * Fixed prototypes: each class's embedding is its training medoid by median distance ({@link
     * Prototypes}), d = the image size; computed when a trainer is built and kept in checkpoints.
     */
    PROTOTYPE,
    /**
     * A random matrix with N(0, 0.1^2) entries, d = {@code embeddingDim} (256 in the
     * reproductions); the scale is a community implementation's, the paper's initialisation is
     * unverified. Trained unless {@code trainEmbedding: false}.
     */
    LEARNED
  }

  private final double[][] rows;

  private LabelEmbedding(double[][] rows) {
    this.rows = rows;
  }

  /**
   * Returns the one-hot embedding: {@code W_Embed = I}, d = C.
   *
   * @param classes the number of classes C; >= 2
   */
  public static LabelEmbedding oneHot(int classes) {
    if (classes < 2) {
      throw new IllegalArgumentException("classes must be >= 2, found " + classes);
    }
    double[][] w = new double[classes][classes];
    for (int k = 0; k < classes; k++) {
      w[k][k] = 1;
    }
    return new LabelEmbedding(w);
  }

  /**
   * Returns the embedding with the given rows, copied.
   *
   * @param rows {@code [C][d]}: at least 2 rows, all of the same length d >= 1, finite values
   */
  public static LabelEmbedding of(double[][] rows) {
    if (rows.length < 2) {
      throw new IllegalArgumentException("classes must be >= 2, found " + rows.length + " rows");
    }
    int d = rows[0].length;
    if (d < 1) {
      throw new IllegalArgumentException("embedding dimension must be >= 1, found 0");
    }
    double[][] w = new double[rows.length][];
    for (int k = 0; k < rows.length; k++) {
      if (rows[k].length != d) {
        throw new IllegalArgumentException(
            "every row must have length "
                + d
                + " (row 0), found "
                + rows[k].length
                + " in row "
                + k);
      }
      for (double v : rows[k]) {
        if (!Double.isFinite(v)) {
          throw new IllegalArgumentException("row " + k + " must be finite, found " + v);
        }
      }
      w[k] = rows[k].clone();
    }
    return new LabelEmbedding(w);
  }

  /** Returns the number of classes C. */
  public int classes() {
    return rows.length;
  }

  /** Returns the embedding dimension d. */
  public int dimension() {
    return rows[0].length;
  }

  /**
   * Returns a copy of u_y, class y's embedding.
   *
   * @param label the class y, in [0, C)
   */
  public double[] embedding(int label) {
    if (label < 0 || label >= rows.length) {
      throw new IllegalArgumentException(
          "label must be in [0, " + rows.length + "), found " + label);
    }
    return rows[label].clone();
  }

  /**
   * Returns a block's prediction from its logits, {@code uhat = softmax(l) W_Embed}.
   *
   * @param logits the block's logits l, one per class
   * @return a new array of length d
   */
  public double[] fromLogits(double[] logits) {
    if (logits.length != rows.length) {
      throw new IllegalArgumentException(
          "logits must have one value per class (" + rows.length + "), found " + logits.length);
    }
    return combine(softmax(logits));
  }

  /** Returns {@code p W_Embed} for class weights p. */
  private double[] combine(double[] p) {
    double[] u = new double[dimension()];
    for (int k = 0; k < p.length; k++) {
      for (int j = 0; j < u.length; j++) {
        u[j] += p[k] * rows[k][j];
      }
    }
    return u;
  }

  /** Returns softmax(l), computed stably. */
  static double[] softmax(double[] l) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : l) {
      max = Math.max(max, v);
    }
    double[] p = new double[l.length];
    double sum = 0;
    for (int i = 0; i < l.length; i++) {
      p[i] = Math.exp(l[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < l.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /**
   * Returns the squared error {@code e = ||softmax(l) W_Embed - u_y||^2} of a block's prediction
   * and writes {@code scale * de/dl} into {@code out[offset..offset + C)}: with {@code p =
   * softmax(l)}, {@code du = 2 (uhat - u_y)}, {@code dp_m = du . W[m]} and {@code de/dl_m = p_m
   * (dp_m - p . dp)}.
   *
   * @param logits the block's logits l, one per class
   * @param label the class y
   * @param scale the factor of the written gradient (the term's weight over the batch size)
   * @param out receives the gradient
   * @param offset where in {@code out} it starts
   */
  double squaredError(double[] logits, int label, double scale, double[] out, int offset) {
    return squaredError(logits, label, scale, out, offset, null);
  }

  /**
   * As {@link #squaredError(double[], int, double, double[], int)}, and when {@code embeddingGrad}
   * is not null also adds {@code scale * de/dW_Embed} to it ({@code [C * d]}, row-major): with
   * {@code du = 2 (uhat - u_y)}, row m gains {@code p_m du}, and row y loses {@code du} (u_y is
   * itself a row of W_Embed).
   *
   * @param embeddingGrad receives the gradient with respect to the embedding, or null
   */
  double squaredError(
      double[] logits, int label, double scale, double[] out, int offset, double[] embeddingGrad) {
    double[] p = softmax(logits);
    double[] uhat = combine(p);
    double[] u = rows[label];
    double e = 0;
    double[] du = new double[u.length];
    for (int j = 0; j < u.length; j++) {
      double diff = uhat[j] - u[j];
      e += diff * diff;
      du[j] = 2 * scale * diff;
    }
    double[] dp = new double[p.length];
    double dot = 0;
    for (int m = 0; m < p.length; m++) {
      for (int j = 0; j < u.length; j++) {
        dp[m] += du[j] * rows[m][j];
      }
      dot += p[m] * dp[m];
    }
    for (int m = 0; m < p.length; m++) {
      out[offset + m] = p[m] * (dp[m] - dot);
    }
    if (embeddingGrad != null) {
      int d = u.length;
      for (int m = 0; m < p.length; m++) {
        double w = p[m] - (m == label ? 1 : 0);
        for (int j = 0; j < d; j++) {
          embeddingGrad[m * d + j] += w * du[j];
        }
      }
    }
    return e;
  }

}
