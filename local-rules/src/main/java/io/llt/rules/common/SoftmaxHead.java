package io.llt.rules.common;

import io.llt.engine.graph.Block;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.RuleState;
import io.llt.engine.spi.StepResult;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A linear head with softmax cross-entropy on top of a block: class scores {@code G = a P (+ c)},
 * loss {@code L = -(1/B) sum_b log softmax(G)[b, y_b]}, and its closed-form gradients
 * {@code dG = (softmax(G) - onehot(y)) / B}, {@code dP = a^T dG}, {@code dc = sum_b dG},
 * {@code da = dG P^T}.
 *
 * <p>P is stored as {@code [width, classes]}, the transpose of the paper's {@code M in R^{C x N}}
 * (Mono-Forward), so that {@code G = a P} needs no transpose. This state is a {@link RuleState}:
 * P and c live at the end of the block's flat parameter vector and are updated by the block's
 * optimizer together with the layers.
 */
public final class SoftmaxHead implements RuleState {
  /** How the projection is initialised. */
  public enum Init {
    /** U(-1/sqrt(width), 1/sqrt(width)), PyTorch's nn.Linear default (bias too). */
    UNIFORM_FAN_IN,
    /** N(0, 1), as one Mono-Forward re-implementation does (saturates wide layers: pitfall 2). */
    NORMAL,
    /** All zeros, as Forward-Forward's softmax readout (loeweX) starts. */
    ZERO
  }

  private final long width;
  private final long classes;
  private final boolean bias;
  private final Init init;
  private INDArray p;
  private INDArray c;
  private INDArray dp;
  private INDArray dc;

  /**
   * Creates the head state.
   *
   * @param width the block's output width N
   * @param classes the number of classes C
   * @param bias whether the head has a bias c
   * @param init the initialisation of P (and c)
   */
  public SoftmaxHead(long width, long classes, boolean bias, Init init) {
    this.width = width;
    this.classes = classes;
    this.bias = bias;
    this.init = init;
  }

  @Override
  public long numParams() {
    return width * classes + (bias ? classes : 0);
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    long np = width * classes;
    p = params.get(NDArrayIndex.all(), NDArrayIndex.interval(0, np)).reshape('c', width, classes);
    dp = grads.get(NDArrayIndex.all(), NDArrayIndex.interval(0, np)).reshape('c', width, classes);
    if (bias) {
      c = params.get(NDArrayIndex.all(), NDArrayIndex.interval(np, np + classes));
      dc = grads.get(NDArrayIndex.all(), NDArrayIndex.interval(np, np + classes));
    }
  }

  @Override
  public void initialize(SplittableRandom rng) {
    double[] v = new double[(int) (width * classes)];
    double bound = 1.0 / Math.sqrt(width);
    for (int i = 0; i < v.length; i++) {
      v[i] =
          init == Init.ZERO
              ? 0
              : init == Init.NORMAL ? gaussian(rng) : (rng.nextDouble() * 2 - 1) * bound;
    }
    assignClosing(p, Nd4j.create(v, new long[] {width, classes}, 'c'));
    if (bias) {
      double[] cb = new double[(int) classes];
      for (int i = 0; i < cb.length; i++) {
        cb[i] = init != Init.UNIFORM_FAN_IN ? 0 : (rng.nextDouble() * 2 - 1) * bound;
      }
      assignClosing(c, Nd4j.create(cb, new long[] {1, classes}, 'c'));
    }
  }

  /** Assigns host values to a parameter view, closing the temporaries (castTo may make one). */
  private static void assignClosing(INDArray target, INDArray values) {
    INDArray src = values.castTo(target.dataType());
    try {
      target.assign(src);
    } finally {
      if (src != values) {
        src.close();
      }
      values.close();
    }
  }

  private static double gaussian(SplittableRandom rng) {
    double u1 = 1.0 - rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Returns the projection P {@code [width, classes]} (a view into the block's parameters). */
  public INDArray projection() {
    return p;
  }

  /** Returns the bias row {@code [1, classes]}, or null. */
  public INDArray bias() {
    return c;
  }

  /** Returns the class scores {@code G = a P (+ c)} for block outputs {@code a}. */
  public INDArray scores(INDArray a) {
    INDArray g = Nd4j.createUninitialized(a.dataType(), new long[] {a.size(0), classes}, 'c');
    Nd4j.gemm(a, p, g, false, false, 1.0, 0.0);
    if (c != null) {
      g.addiRowVector(c);
    }
    return g;
  }

  /**
   * One training step: forward through the block, the head's loss, the head's gradients, and the
   * block's backward from {@code da}. Writes every gradient of the block; applies no update.
   *
   * <p>The softmax cross-entropy over the {@code [batch, classes]} scores is computed on the host
   * in double precision: for few classes, one copy of the scores out and one of dG back cost far
   * less than a dozen tiny device ops (docs/architecture.md, "Performance notes"). The three
   * products with P go through BLAS gemm.
   */
  public StepResult step(Block block, INDArray input, Labels labels) {
    INDArray a = block.forward(input, true);
    double[] loss = new double[1];
    INDArray dg = headGradients(a, labels.classes(), loss);
    block.backward(inputGradient(dg));
    return new StepResult(a, loss[0]);
  }

  /** Returns dL/da {@code = dG P^T}, {@code [batch, width]}, for dG {@code [batch, classes]}. */
  public INDArray inputGradient(INDArray dg) {
    INDArray da = Nd4j.createUninitialized(dg.dataType(), new long[] {dg.size(0), width}, 'c');
    Nd4j.gemm(dg, p, da, false, true, 1.0, 0.0);
    return da;
  }

  /**
   * The head alone on features {@code a} (which get no gradient): writes dP (and dc), and returns
   * dG {@code [batch, classes]} for callers that back-propagate into {@code a}.
   *
   * @param a the features {@code [batch, width]}
   * @param y the class of each row
   * @param lossOut receives the mean cross-entropy in slot 0
   */
  public INDArray headGradients(INDArray a, int[] y, double[] lossOut) {
    return headGradients(a, y, 1, lossOut);
  }

  /**
   * {@link #headGradients(INDArray, int[], double[])} for the loss {@code weight * CE}: dP, dc and
   * the returned dG are scaled by {@code weight}; {@code lossOut[0]} is the unweighted mean CE.
   */
  public INDArray headGradients(INDArray a, int[] y, double weight, double[] lossOut) {
    INDArray g = scores(a);
    int batch = (int) g.size(0);
    int k = (int) classes;
    double[] dgv = crossEntropy(g.data().asDouble(), batch, k, y, lossOut);
    if (weight != 1) {
      for (int i = 0; i < dgv.length; i++) {
        dgv[i] *= weight;
      }
    }
    INDArray dg = Nd4j.create(dgv, new long[] {batch, k}, 'c').castTo(a.dataType());
    Nd4j.gemm(a, dg, dp, true, false, 1.0, 0.0);
    if (dc != null) {
      double[] dcv = new double[k];
      for (int i = 0; i < batch; i++) {
        for (int j = 0; j < k; j++) {
          dcv[j] += dgv[i * k + j];
        }
      }
      dc.assign(Nd4j.create(dcv, new long[] {1, k}, 'c').castTo(a.dataType()));
    }
    return dg;
  }

  /**
   * The mean softmax cross-entropy of logits {@code g} {@code [batch, classes]} (the block's own
   * output, when there is no output layer) against classes {@code y}, computed on the host in
   * double precision: returns dL/dg in {@code g}'s data type and the loss in {@code lossOut[0]}.
   */
  public static INDArray crossEntropyGradient(INDArray g, int[] y, double[] lossOut) {
    int batch = (int) g.size(0);
    int k = (int) g.size(1);
    INDArray c = g.ordering() == 'c' && !g.isView() && g.data().length() == g.length() ? g : g.dup('c');
    double[] dgv = crossEntropy(c.data().asDouble(), batch, k, y, lossOut);
    return Nd4j.create(dgv, new long[] {batch, k}, 'c').castTo(g.dataType());
  }

  /** Softmax cross-entropy on host logits {@code gv}: returns dL/dg, the mean loss in slot 0. */
  private static double[] crossEntropy(double[] gv, int batch, int k, int[] y, double[] lossOut) {
    double[] dgv = new double[batch * k];
    double loss = 0;
    for (int i = 0; i < batch; i++) {
      int row = i * k;
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < k; j++) {
        max = Math.max(max, gv[row + j]);
      }
      double sum = 0;
      for (int j = 0; j < k; j++) {
        sum += Math.exp(gv[row + j] - max);
      }
      double logZ = max + Math.log(sum);
      loss += logZ - gv[row + y[i]];
      for (int j = 0; j < k; j++) {
        dgv[row + j] = (Math.exp(gv[row + j] - logZ) - (j == y[i] ? 1 : 0)) / batch;
      }
    }
    lossOut[0] = loss / batch;
    return dgv;
  }

  /**
   * Counts, per example, in elements of the block's data type: the scores G ({@code classes}); dG,
   * which is built from the host's doubles as a DOUBLE array ({@code classes} doubles, that is
   * {@code classes * 8 / size} elements) and then cast to the data type ({@code classes} more,
   * unless the data type is DOUBLE, where the cast returns the same array); and dL/da ({@code
   * width}). dP is written into the block's gradient vector and dc's sums are one {@code [1,
   * classes]} row, not counted. Before {@link #bind} the data type is unknown and FLOAT is assumed
   * (the larger count of the two supported types).
   */
  @Override
  public long workingValuesPerExample() {
    long size = p == null ? 4 : p.dataType().width();
    long hostGradient = classes * 8 / size + (size == 8 ? 0 : classes);
    return classes + hostGradient + width;
  }
}
