package io.llt.rules.ff;

import io.llt.engine.BadInputException;
import io.llt.engine.graph.Block;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.BlockInference;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LengthNormalizing;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.Readout;
import io.llt.engine.spi.ReadoutSpec;
import io.llt.engine.spi.RuleState;
import io.llt.engine.spi.Signals;
import io.llt.engine.spi.StepResult;
import io.llt.rules.common.SoftmaxHead;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The Forward-Forward family (spec 1 and 2): each block maximises the goodness of its activity on
 * positive rows and minimises it on negative rows.
 *
 * <p>Per block, with h the block output on a row: {@code G = kappa sum_j h_j^2} (kappa = 1 for
 * sum, 1/D for mean), logit {@code a = s (G - theta) + gamma} (s = -1 for the min-ssq variant;
 * gamma = 0 for FF, the detached signed goodness of the other blocks for CFF), loss {@code
 * softplus(a) - t a} averaged over the 2B positive (t = 1) and negative (t = 0) rows. Closed form:
 * {@code dL/da = (sigmoid(a) - t) / 2B}, {@code dL/dh = dL/da s 2 kappa h}; the block's layers
 * back-propagate that inside the block. Nothing flows into gamma or into the block input.
 *
 * <p>Rows: the first block's rule turns a batch of B examples into stacked rows, {@code [positive
 * (B); negative (B); neutral (B)]} for training (neutral only for the softmax readout) and {@code
 * [candidate label 0 (B); ...; candidate C-1 (B); neutral (B)]} for inference, and every block hands
 * all rows on. Blocks publish their signed goodness ({@code goodness}) and, from {@code
 * readoutFrom} on, their RMS-normalised neutral activity ({@code features}) on the batch's
 * signals board (goodness only when a collaborative offset reads it); the last block's softmax
 * head reads the features of all those blocks.
 */
abstract class FfRule implements LocalRule {
  static final String GOODNESS = "goodness";
  static final String FEATURES = "features";
  static final String SOFTMAX = "softmax";

  final FfSettings s;

  FfRule(FfSettings settings) {
    this.s = settings;
  }

  @Override
  public RuleState createState(BlockContext ctx) {
    long width = ctx.outputSize();
    double kappa = s.goodness() == FfGoodness.MEAN ? 1.0 / width : 1.0;
    double theta = s.theta() != null ? s.theta() : s.goodness() == FfGoodness.MEAN ? 1.0 : width;
    int from = readoutFrom(ctx.blockCount());
    boolean last = ctx.index() == ctx.blockCount() - 1;
    SoftmaxHead head = null;
    if (last && s.softmax()) {
      long w = 0;
      for (int i = from; i < ctx.blockCount(); i++) {
        w += ctx.blockOutputSizes()[i];
      }
      head = new SoftmaxHead(w, ctx.numClasses(), false, SoftmaxHead.Init.ZERO);
    }
    if (ctx.index() == 0 && !s.hybrid() && product(ctx.inputShape()) < ctx.numClasses()) {
      throw new BadInputException(
          "model.rule.negatives: block '" + ctx.blockId() + "': the label overlay writes "
              + ctx.numClasses() + " classes into the first input values, but examples have only "
              + product(ctx.inputShape()) + "; use negatives: hybrid or data with more inputs");
    }
    if (ctx.index() == 0 && s.hybrid()) {
      imageSize(ctx.inputShape()); // fails now, not at the first batch
    }
    return new FfState(
        ctx.index(),
        ctx.blockCount(),
        ctx.numClasses(),
        width,
        theta,
        kappa,
        ctx.index() >= from,
        head,
        s.peerNormalization() > 0,
        ctx.dataType());
  }

  int readoutFrom(int blockCount) {
    return Math.min(s.readoutFrom(), blockCount - 1);
  }

  private static long product(long[] shape) {
    long p = 1;
    for (long d : shape) {
      p *= d;
    }
    return p;
  }

  @Override
  public String rowLayout() {
    return "forward-forward rows (" + s.trainGroups() + " groups in training, readouts "
        + s.readouts().toString().toLowerCase(Locale.ROOT) + (s.hybrid() ? ", hybrid" : "") + ")";
  }

  @Override
  public int rowsPerExample() {
    return s.trainGroups();
  }

  @Override
  public boolean readsNetworkScores() {
    return s.negatives() == FfNegatives.HARD;
  }

  @Override
  public boolean lookahead() {
    return s.collaboration() == Collaboration.ALL_OTHERS;
  }

  @Override
  public List<ReadoutSpec> readouts() {
    List<ReadoutSpec> out = new ArrayList<>();
    for (FfReadout r : s.readouts()) {
      out.add(
          r == FfReadout.GOODNESS
              ? new ReadoutSpec("goodness", GOODNESS, Readout.SUM)
              : new ReadoutSpec("softmax", SOFTMAX, Readout.LAST));
    }
    return out;
  }

  // ------------------------------------------------------------------ encoding (first block)

  @Override
  public INDArray encodeTraining(
      Block block,
      RuleState state,
      INDArray features,
      Labels labels,
      long seed,
      Supplier<INDArray> networkScores) {
    int b = (int) features.size(0);
    int d = (int) features.size(1);
    int c = ((FfState) state).classes;
    SplittableRandom rng = new SplittableRandom(seed);
    int[] y = labels.classes();
    INDArray rows = Nd4j.createUninitialized(features.dataType(), new long[] {s.trainGroups() * (long) b, d}, 'c');
    if (s.hybrid()) {
      rows.get(NDArrayIndex.interval(0, b), NDArrayIndex.all()).assign(features);
      try (INDArray neg = hybrids(features, block.layers().get(0).inputShape(), rng)) {
        rows.get(NDArrayIndex.interval(b, 2 * b), NDArrayIndex.all()).assign(neg);
      }
      return rows;
    }
    for (int g = 0; g < s.trainGroups(); g++) {
      rows.get(NDArrayIndex.interval((long) g * b, (long) (g + 1) * b), NDArrayIndex.all())
          .assign(features);
    }
    int[] wrong = new int[b];
    double[][] hard = null;
    if (s.negatives() == FfNegatives.HARD) {
      INDArray sc = networkScores.get();
      if (sc != null) {
        hard = sc.toDoubleMatrix();
        sc.close();
      }
    }
    for (int i = 0; i < b; i++) {
      wrong[i] =
          hard == null
              ? Negatives.uniformWrongLabel(y[i], c, rng)
              : Negatives.hardWrongLabel(y[i], hard[i], rng);
    }
    double[] lab = new double[s.trainGroups() * b * c];
    for (int i = 0; i < b; i++) {
      lab[i * c + y[i]] = s.labelValue();
      lab[(b + i) * c + wrong[i]] = s.labelValue();
      if (s.trainGroups() == 3) {
        for (int k = 0; k < c; k++) {
          lab[(2 * b + i) * c + k] = s.labelValue() / c;
        }
      }
    }
    overlay(rows, lab, c);
    return rows;
  }

  @Override
  public INDArray encodeInference(Block block, RuleState state, INDArray features) {
    if (s.hybrid()) {
      return features;
    }
    int b = (int) features.size(0);
    int d = (int) features.size(1);
    int c = ((FfState) state).classes;
    int groups = s.evalGroups(c);
    INDArray rows = Nd4j.createUninitialized(features.dataType(), new long[] {(long) groups * b, d}, 'c');
    double[] lab = new double[groups * b * c];
    int g = 0;
    if (s.goodnessReadout()) {
      for (; g < c; g++) {
        for (int i = 0; i < b; i++) {
          lab[(g * b + i) * c + g] = s.labelValue();
        }
      }
    }
    if (s.softmax()) {
      for (int i = 0; i < b; i++) {
        for (int k = 0; k < c; k++) {
          lab[(g * b + i) * c + k] = s.labelValue() / c;
        }
      }
    }
    for (int k = 0; k < groups; k++) {
      rows.get(NDArrayIndex.interval((long) k * b, (long) (k + 1) * b), NDArrayIndex.all())
          .assign(features);
    }
    overlay(rows, lab, c);
    return rows;
  }

  /** Overwrites the first {@code c} columns of {@code rows} with {@code lab} (row-major). */
  private static void overlay(INDArray rows, double[] lab, int c) {
    try (INDArray l = Nd4j.create(lab, new long[] {rows.size(0), c}, 'c')) {
      rows.get(NDArrayIndex.all(), NDArrayIndex.interval(0, c)).assign(l);
    }
  }

  /**
   * Returns the {height, width} of image-shaped examples: the last two dimensions, or a square for
   * flat examples.
   *
   * @throws BadInputException when the examples are not images
   */
  private static int[] imageSize(long[] shape) {
    long d = product(shape);
    long h;
    long w;
    if (shape.length >= 2) {
      h = shape[shape.length - 2];
      w = shape[shape.length - 1];
    } else {
      w = Math.round(Math.sqrt(d));
      h = w == 0 ? 0 : d / w;
    }
    if (h * w == 0 || d % (h * w) != 0) {
      throw new BadInputException(
          "model.rule.negatives: hybrid negatives splice images through a 2-D mask, but examples"
              + " have shape " + java.util.Arrays.toString(shape) + "; use negatives: label");
    }
    return new int[] {(int) h, (int) w};
  }

  /**
   * Negative hybrid images: each example spliced with another through a blurred random mask. Runs
   * outside workspaces; returns a double array the caller closes.
   */
  private INDArray hybrids(INDArray features, long[] shape, SplittableRandom rng) {
    int b = (int) features.size(0);
    int d = (int) features.size(1);
    int[] hw = imageSize(shape);
    int h = hw[0];
    int w = hw[1];
    int channels = d / (h * w);
    double[][] x = features.toDoubleMatrix();
    double[] out = new double[b * d];
    for (int i = 0; i < b; i++) {
      int j = b == 1 ? 0 : (i + 1 + rng.nextInt(b - 1)) % b;
      double[] m = Negatives.hybridMask(h, w, s.blurPasses(), rng);
      for (int ch = 0; ch < channels; ch++) {
        for (int p = 0; p < h * w; p++) {
          int k = ch * h * w + p;
          out[i * d + k] = m[p] * x[i][k] + (1 - m[p]) * x[j][k];
        }
      }
    }
    return Nd4j.create(out, new long[] {b, d}, 'c');
  }

  // ------------------------------------------------------------------ training

  @Override
  public StepResult step(
      Block block, RuleState state, INDArray input, Labels labels, Signals signals) {
    FfState st = (FfState) state;
    long rows = input.size(0);
    long b = rows / s.trainGroups();
    INDArray neutralOut = null;
    if (s.trainGroups() == 3) {
      neutralOut = block.forward(rows(input, 2 * b, 3 * b), false);
    }
    INDArray h = block.forward(rows(input, 0, 2 * b), true);
    INDArray ss = h.mul(h).sum(true, 1); // [2B, 1]
    double[] g = ss.data().asDouble();
    double sign = s.sign();
    for (int r = 0; r < g.length; r++) {
      g[r] = sign * st.kappa * g[r];
    }
    if (s.collaboration() != Collaboration.NONE) {
      signals.put(st.index, GOODNESS, Nd4j.create(g, new long[] {g.length, 1}, 'c'));
    }
    double[] gamma = gamma(st, signals, g.length);
    double[] coef = new double[g.length];
    double loss = 0;
    int n = g.length;
    for (int r = 0; r < n; r++) {
      double a = g[r] - sign * st.theta + gamma[r];
      double t = r < b ? 1 : 0;
      loss += softplus(a) - t * a;
      coef[r] = (sigmoid(a) - t) / n * sign * 2 * st.kappa;
    }
    loss /= n;
    INDArray dh = h.mulColumnVector(Nd4j.create(coef, new long[] {n, 1}, 'c').castTo(h.dataType()));
    if (st.peer) {
      loss += peerTerm(st, h, dh, b);
    }
    block.backward(dh);
    INDArray out = h;
    INDArray neutral = s.hybrid() ? rows(h, 0, b) : neutralOut;
    if (neutralOut != null) {
      out = Nd4j.createUninitialized(h.dataType(), new long[] {rows, h.size(1)}, 'c');
      rows(out, 0, 2 * b).assign(h);
      rows(out, 2 * b, 3 * b).assign(neutralOut);
    }
    if (s.softmax()) {
      publishFeatures(st, neutral, signals);
      if (st.head != null) {
        INDArray f = features(st, signals);
        double[] headLoss = new double[1];
        st.head.headGradients(f, labels.classes(), headLoss);
      }
    }
    return new StepResult(out, loss);
  }

  /** The collaborative offset of each row (zeros for FF). */
  double[] gamma(FfState st, Signals signals, int n) {
    double[] gamma = new double[n];
    if (s.collaboration() == Collaboration.NONE) {
      return gamma;
    }
    int to = s.collaboration() == Collaboration.PRECEDING ? st.index : st.blockCount;
    for (int t = 0; t < to; t++) {
      if (t == st.index) {
        continue;
      }
      INDArray other = signals.get(t, GOODNESS);
      if (other == null) {
        throw new IllegalStateException(
            "collaborative-ff: block " + t + " published no goodness for this batch");
      }
      double[] o = other.data().asDouble();
      for (int r = 0; r < n; r++) {
        gamma[r] += s.gammaScale() * o[r];
      }
    }
    return gamma;
  }

  /**
   * Peer normalisation (loeweX, spec 1(b)8): running mean {@code mu = m mu + (1-m) mean_pos(h)},
   * loss {@code w mean_j (mean_k mu_k - mu_j)^2}; adds its gradient to the positive rows of
   * {@code dh}, updates the running mean, and returns the weighted loss.
   */
  private double peerTerm(FfState st, INDArray h, INDArray dh, long b) {
    double m = s.peerMomentum();
    INDArray mu = st.peerMean();
    INDArray batchMean = rows(h, 0, b).mean(true, 0); // [1, D]
    INDArray muNew = mu.mul(m).addi(batchMean.muli(1 - m));
    double avg = muNew.meanNumber().doubleValue();
    INDArray dev = muNew.sub(avg); // mu_j - mean
    double loss = s.peerNormalization() * dev.mul(dev).meanNumber().doubleValue();
    double d = st.width;
    rows(dh, 0, b).addiRowVector(dev.mul(s.peerNormalization() * (1 - m) / b * 2 / d));
    mu.assign(muNew);
    return loss;
  }

  private void publishFeatures(FfState st, INDArray neutral, Signals signals) {
    if (!st.readsOut) {
      return;
    }
    // RMS-normalised activity, as loeweX feeds its classifier
    INDArray rms = neutral.norm2(true, 1).muli(1.0 / Math.sqrt(st.width)).addi(1e-8);
    signals.put(st.index, FEATURES, neutral.divColumnVector(rms));
  }

  /** The last block's head input: the published features of every block from readoutFrom on. */
  private INDArray features(FfState st, Signals signals) {
    int from = readoutFrom(st.blockCount);
    List<INDArray> parts = new ArrayList<>();
    for (int i = from; i < st.blockCount; i++) {
      INDArray f = signals.get(i, FEATURES);
      if (f == null) {
        throw new IllegalStateException("forward-forward: block " + i + " published no features");
      }
      parts.add(f);
    }
    return parts.size() == 1 ? parts.get(0) : Nd4j.hstack(parts.toArray(new INDArray[0]));
  }

  @Override
  public INDArray pass(
      Block block, RuleState state, INDArray input, Labels labels, Signals signals) {
    FfState st = (FfState) state;
    INDArray h = block.forward(input, false);
    long b = input.size(0) / s.trainGroups();
    if (s.collaboration() != Collaboration.NONE) {
      INDArray ss = rows(h, 0, 2 * b).mul(rows(h, 0, 2 * b)).sum(true, 1);
      signals.put(st.index, GOODNESS, ss.muli(s.sign() * st.kappa));
    }
    if (s.softmax()) {
      publishFeatures(st, s.hybrid() ? rows(h, 0, b) : rows(h, 2 * b, 3 * b), signals);
    }
    return h;
  }

  // ------------------------------------------------------------------ inference

  @Override
  public BlockInference infer(Block block, RuleState state, INDArray input, Signals signals) {
    FfState st = (FfState) state;
    int c = st.classes;
    long b = input.size(0) / s.evalGroups(c);
    INDArray h = block.forward(input, false);
    Map<String, INDArray> scores = new LinkedHashMap<>();
    if (s.goodnessReadout() && !s.hybrid() && st.readsOut) {
      INDArray cand = rows(h, 0, c * b);
      INDArray g = cand.mul(cand).sum(true, 1).muli(s.sign() * st.kappa); // [C*B, 1]
      scores.put(GOODNESS, g.reshape('c', c, b).transpose().dup('c'));
    }
    if (s.softmax()) {
      long start = s.hybrid() ? 0 : (s.goodnessReadout() ? c * b : 0);
      publishFeatures(st, rows(h, start, start + b), signals);
      if (st.head != null) {
        scores.put(SOFTMAX, st.head.scores(features(st, signals)));
      }
    }
    return new BlockInference(h, scores);
  }

  // ------------------------------------------------------------------ warnings

  @Override
  public List<String> warnings(BlockContext ctx, List<LayerConfig> layers) {
    List<String> out = new ArrayList<>();
    if (s.softmax() && !s.hybrid() && s.goodness() == FfGoodness.MEAN
        && ctx.index() == ctx.blockCount() - 1) {
      // measured, docs/RESULTS.md: the logit's slope is 1/D of sum goodness's, so negatives are
      // pushed to zero activity until the end, and the neutral-label rows go with them
      out.add(
          "the softmax readout reads the neutral-label rows, which mean goodness drives to zero"
              + " activity with the negatives (Fashion-MNIST, 3 x 1000: the readout fell from 80%"
              + " to 30% over 30 epochs); use goodness: sum for it, or readouts: [goodness]");
    }
    LengthNormalizing norm = null;
    for (LayerConfig l : layers) {
      if (l instanceof LengthNormalizing) {
        norm = (LengthNormalizing) l;
        break;
      }
    }
    if (norm == null) {
      if (ctx.index() > 0) {
        out.add(
            "has no normalize layer: a Forward-Forward block can then read the previous block's"
                + " goodness from its input's length (spec 1(f)); start the block with"
                + " {type: normalize}");
      }
      return out;
    }
    long width = ctx.outputSize();
    double theta = s.theta() != null ? s.theta() : s.goodness() == FfGoodness.MEAN ? 1.0 : width;
    double perUnit = s.goodness() == FfGoodness.MEAN ? theta : theta / width;
    double expected = "l2".equals(norm.kindName()) ? 2.0 : 1.0;
    if (perUnit > 4 * expected || perUnit < expected / 4) {
      out.add(
          String.format(
              Locale.ROOT,
              "theta %s with %s goodness over %d units is a mean-square threshold of %.4g per"
                  + " unit, but the spec's convention for %s normalisation is %.1f (rms + sum +"
                  + " theta = D, or l2 + mean + theta = 2); set theta to %s",
              fmt(theta),
              s.goodness().name().toLowerCase(Locale.ROOT),
              width,
              perUnit,
              norm.kindName(),
              expected,
              fmt(s.goodness() == FfGoodness.MEAN ? expected : expected * width)));
    }
    return out;
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
  }

  // ------------------------------------------------------------------ helpers

  static INDArray rows(INDArray a, long from, long to) {
    return a.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
  }

  static double softplus(double a) {
    return Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a)));
  }

  static double sigmoid(double a) {
    return a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a));
  }
}
