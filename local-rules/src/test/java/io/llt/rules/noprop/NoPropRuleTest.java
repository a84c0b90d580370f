package io.llt.rules.noprop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import io.llt.engine.config.BlockConfig;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.ModelConfig;
import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.config.OptimizerType;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TrainerConfig;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.data.DataContext;
import io.llt.engine.data.DataSplits;
import io.llt.engine.data.Dataset;
import io.llt.engine.data.SyntheticConfig;
import io.llt.engine.graph.Block;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.spi.Labels;
import io.llt.engine.testing.GradCheck;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.Signals;
import io.llt.engine.testing.NativeLeakCheck;
import io.llt.engine.train.Checkpoints;
import io.llt.engine.train.RunDirectory;
import io.llt.engine.train.Trainer;
import io.llt.engine.train.TrainingResult;
import io.llt.layers.activation.Activation;
import io.llt.layers.activation.ActivationLayer;
import io.llt.layers.dense.DenseLayer;
import io.llt.layers.norm.BatchNormLayer;
import io.llt.rules.noprop.NoPropRule.Prediction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The {@code noprop} rule against its equations (spec 2(g)): finite-difference gradients through
 * the whole block (image path, label path with its skip connection, fusion, softmax times the
 * embedding), the denoising and prior terms against {@link DtLoss}, the device reverse step
 * against {@link DtSampler} and the marginals, block independence, the ablation, and training.
 */
@ExtendWith(NativeLeakCheck.class)
class NoPropRuleTest {
  private static final int FEATURES = 8;
  private static final int CLASSES = 3;

  @TempDir Path tmp;

  private static DenseLayer.Config dense(int units) {
    return new DenseLayer.Config(units, null, null, null, null);
  }

  private static BatchNormLayer.Config bn() {
    return new BatchNormLayer.Config(null, null, null);
  }

  private static ActivationLayer.Config tanh() {
    return new ActivationLayer.Config(Activation.TANH);
  }

  private static NoPropRule.Config rule(LabelAblation ablation, Prediction prediction) {
    return rule(ablation, prediction, LabelEmbedding.Kind.ONE_HOT);
  }

  private static NoPropRule.Config rule(
      LabelAblation ablation, Prediction prediction, LabelEmbedding.Kind embedding) {
    return new NoPropRule.Config(
        0.1,
        null,
        prediction,
        ablation,
        List.of(dense(6), bn(), tanh()),
        List.of(dense(6), bn(), tanh(), dense(6), bn()),
        List.of(dense(5), bn(), tanh(), dense(CLASSES)),
        embedding,
        null,
        null);
  }

  /**
   * A trained embedding shared by the blocks: {@code learned} with d = {@code dim} (the fusion
   * ends in C logits, or d values for {@code prediction: logits}), or a trained {@code kind}; the
   * last signal level is clipped at 0.9 so that no block's loss weight dwarfs the others.
   */
  private static NoPropRule.Config trainedRule(
      Prediction prediction, LabelEmbedding.Kind kind, Integer dim) {
    int out = prediction == Prediction.LOGITS ? dim : CLASSES;
    return new NoPropRule.Config(
        0.1,
        0.9,
        prediction,
        LabelAblation.NONE,
        List.of(dense(6), bn(), tanh()),
        List.of(dense(6), bn(), tanh(), dense(6), bn()),
        List.of(dense(5), bn(), tanh(), dense(out)),
        kind,
        kind == LabelEmbedding.Kind.LEARNED ? dim : null,
        true);
  }

  private static ExperimentConfig config(NoPropRule.Config rule, int blocks, int epochs) {
    return config(rule, blocks, epochs, 0.3);
  }

  /** {@link #config(NoPropRule.Config, int, int)} with the synthetic data's noise {@code noise}. */
  private static ExperimentConfig config(
      NoPropRule.Config rule, int blocks, int epochs, double noise) {
    List<LayerConfig> image = List.of(dense(4), bn(), tanh());
    List<BlockConfig> bs = new ArrayList<>();
    for (int i = 0; i < blocks; i++) {
      bs.add(new BlockConfig("t" + (i + 1), image, null, null));
    }
    return new ExperimentConfig(
        "noprop",
        5L,
        new SyntheticConfig(FEATURES, CLASSES, 300, 150, 0, noise),
        new ModelConfig(null, rule, bs),
        new TrainerConfig(
            Schedule.SIMULTANEOUS, epochs, 20, null,
            new OptimizerConfig(OptimizerType.ADAMW, 1e-2, null, null, null, null, null, 1e-3, null),
            0, null, null, null, null, null),
        null);
  }

  private static BlockGraph graph(ExperimentConfig c, DataType dt) {
    GraphBuilder builder = new GraphBuilder(TypeRegistry.load());
    assertThat(builder.validate(c, new long[] {FEATURES})).isEmpty();
    return builder.build(c, new long[] {FEATURES}, CLASSES, dt);
  }

  private static INDArray gaussian(DataType dt, long rows, long cols, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] v = new double[(int) (rows * cols)];
    for (int i = 0; i < v.length; i++) {
      double u1 = 1.0 - r.nextDouble();
      v[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * r.nextDouble());
    }
    return Nd4j.create(v, new long[] {rows, cols}, 'c').castTo(dt);
  }

  private static Labels labels(int[] classes, DataType dt) {
    INDArray oh = Nd4j.zeros(dt, classes.length, CLASSES);
    for (int i = 0; i < classes.length; i++) {
      oh.putScalar(i, classes[i], 1.0);
    }
    return new Labels(oh, classes);
  }

  private static double denoise(Block b, INDArray x, int[] y, INDArray z) {
    try (MemoryWorkspace ws = b.openWorkspace()) {
      return ((NoPropState) b.state()).denoise(b, x, y, z);
    }
  }

  /** See {@link GradCheck#assertBlockGradients}. */
  private static int checkGradients(
      Block block, double[] analytic, LongPredicate which, DoubleSupplier loss) {
    return GradCheck.assertBlockGradients(block, analytic, which, loss);
  }

  /** Runs {@code step} in the block's workspace and returns its value. */
  private static double inWorkspace(Block b, DoubleSupplier step) {
    try (MemoryWorkspace ws = b.openWorkspace()) {
      return step.getAsDouble();
    }
  }

  /**
   * dL/dθ of the weighted denoising term, for a third of the parameters of a block spread over
   * every layer (image path, label stem, residual pair and fusion), against central differences
   * in double precision; both prediction parameterisations.
   */
  @ParameterizedTest
  @EnumSource(Prediction.class)
  void gradientsMatchFiniteDifferences(Prediction prediction) {
    try (BlockGraph g = graph(config(rule(LabelAblation.NONE, prediction), 3, 1), DataType.DOUBLE)) {
      Block b = g.blocks().get(1);
      int[] y = {0, 2, 1, 1, 0, 2};
      INDArray x = gaussian(DataType.DOUBLE, y.length, FEATURES, 1);
      INDArray z = gaussian(DataType.DOUBLE, y.length, CLASSES, 2);
      denoise(b, x, y, z);
      double[] analytic = b.grads().toDoubleVector();
      INDArray p = b.params();
      long n = p.length();
      assertThat(n).isEqualTo(b.layerParams() + b.state().numParams());
      // every third parameter: each layer of every path has at least 8, so all are covered
      int checked = checkGradients(b, analytic, i -> i % 3 == 0, () -> denoise(b, x, y, z));
      assertThat(checked).isGreaterThan(80);
      assertThat(Arrays.stream(analytic).map(Math::abs).max().orElse(0)).isGreaterThan(1e-4);
    }
  }

  /**
   * The denoising term equals {@link DtLoss#denoisingTerm} on the block's own prediction (softmax
   * of its logits times the embedding), and the prior term is the closed-form KL, the same for
   * every class of the one-hot embedding.
   */
  @Test
  void lossTermsMatchTheReferenceFunctions() {
    try (BlockGraph g = graph(config(rule(LabelAblation.NONE, Prediction.SOFTMAX_EMBEDDING), 4, 1), DataType.DOUBLE)) {
      NoiseSchedule schedule = NoiseSchedule.cosine(4);
      LabelEmbedding emb = LabelEmbedding.oneHot(CLASSES);
      for (Block b : g.blocks()) {
        NoPropState s = (NoPropState) b.state();
        int[] y = {2, 0, 1, 2};
        INDArray x = gaussian(DataType.DOUBLE, y.length, FEATURES, 3);
        INDArray z = gaussian(DataType.DOUBLE, y.length, CLASSES, 4);
        double got = denoise(b, x, y, z);
        double want = 0;
        try (MemoryWorkspace ws = b.openWorkspace()) {
          INDArray out = s.head(b.forward(x, true), z, true, b.rng());
          for (int r = 0; r < y.length; r++) {
            double[] uhat = emb.fromLogits(out.getRow(r).toDoubleVector());
            want += DtLoss.denoisingTerm(schedule, s.t(), 0.1, uhat, emb.embedding(y[r]));
          }
        }
        assertThat(got).as("block t = %d", s.t()).isCloseTo(want / y.length, offset(1e-12));
        double a0 = schedule.alphaBar(0);
        double kl = 0.5 * (a0 - CLASSES * (a0 + Math.log1p(-a0)));
        for (int k = 0; k < CLASSES; k++) {
          assertThat(s.priorKl(new int[] {k})).isCloseTo(kl, offset(1e-15));
        }
      }
    }
  }

  /**
   * The device reverse step equals {@link DtSampler#step} without noise, and with the true
   * embedding as prediction (logits of 60 on the true class) the stochastic steps of the rule's
   * states carry q(z_0 | y) through every marginal q(z_t | y): mean sqrt(abar_t) u_y (each class
   * and value) and variance 1 - abar_t (pooled), on 40,000 chains (spec 2(g) test 2, on the rule's
   * own arithmetic).
   */
  @Test
  void reverseStepsOfTheStatesFollowTheMarginals() {
    int steps = 4;
    try (BlockGraph g = graph(config(rule(LabelAblation.NONE, Prediction.SOFTMAX_EMBEDDING), steps, 1), DataType.DOUBLE)) {
      NoiseSchedule schedule = NoiseSchedule.cosine(steps);
      DtSampler exact = new DtSampler(schedule, true);
      int rows = 40_000;
      int[] y = new int[rows];
      for (int r = 0; r < rows; r++) {
        y[r] = r % CLASSES;
      }
      INDArray u = labels(y, DataType.DOUBLE).oneHot();
      INDArray out = u.mul(60.0);
      double a0 = schedule.alphaBar(0);
      INDArray z = gaussian(DataType.DOUBLE, rows, CLASSES, 9).muli(Math.sqrt(1 - a0)).addi(u.mul(Math.sqrt(a0)));
      Random rng = Nd4j.getRandomFactory().getNewRandomInstance(17);
      for (int t = 1; t <= steps; t++) {
        NoPropState s = (NoPropState) g.blocks().get(t - 1).state();
        INDArray det = s.step(out, z, false, rng);
        double[] host = exact.step(t, u.getRow(0).toDoubleVector(), z.getRow(0).toDoubleVector(), null);
        assertThat(det.getRow(0).toDoubleVector()).containsExactly(host, offset(1e-12));
        z = s.step(out, z, true, rng);
        double mean = Math.sqrt(schedule.alphaBar(t));
        double var = 1 - schedule.alphaBar(t);
        double pooled = 0;
        for (int k = 0; k < CLASSES; k++) {
          for (int j = 0; j < CLASSES; j++) {
            double sum = 0;
            double sq = 0;
            int count = 0;
            double wantMean = j == k ? mean : 0;
            for (int r = k; r < rows; r += CLASSES) {
              double v = z.getDouble(r, j);
              sum += v;
              sq += (v - wantMean) * (v - wantMean);
              count++;
            }
            assertThat(sum / count).as("t %d class %d value %d mean", t, k, j).isCloseTo(wantMean, offset(0.03));
            pooled += sq;
          }
        }
        // pooled over the 120,000 values: ND4J's native normal draws deviate from the ideal
        // sampling error (about 0.4% here) by up to a few percent per column, hence 2%
        pooled /= (double) rows * CLASSES;
        assertThat(pooled).as("t %d variance", t).isCloseTo(var, offset(0.02 * var));
      }
    }
  }

  /**
   * A training step of block t, followed by its optimizer, leaves the parameters and buffers of
   * every other block bit-identical (the blocks share nothing), and changes block t's own.
   */
  @Test
  void trainingOneBlockLeavesEveryOtherBlockBitIdentical() {
    try (BlockGraph g = graph(config(rule(LabelAblation.NONE, Prediction.SOFTMAX_EMBEDDING), 3, 1), DataType.FLOAT)) {
      int[] y = {0, 1, 2, 2, 1, 0, 1, 2};
      INDArray x = gaussian(DataType.FLOAT, y.length, FEATURES, 5);
      Labels labels = labels(y, DataType.FLOAT);
      for (int trained = 0; trained < g.blocks().size(); trained++) {
        List<float[]> before = new ArrayList<>();
        for (Block b : g.blocks()) {
          before.add(snapshot(b));
        }
        Block t = g.blocks().get(trained);
        try (MemoryWorkspace ws = t.openWorkspace();
            Signals signals = new Signals()) {
          var r = t.rule().step(t, t.state(), x, labels, signals);
          assertThat(r.output()).isSameAs(x);
          assertThat(r.loss()).isPositive();
          t.optimizer().step(t.params(), t.grads(), 1e-2);
        }
        for (int i = 0; i < g.blocks().size(); i++) {
          float[] now = snapshot(g.blocks().get(i));
          if (i == trained) {
            assertThat(Arrays.equals(now, before.get(i))).as("block %d trained", i).isFalse();
          } else {
            assertThat(now).as("block %d while training block %d", i, trained).containsExactly(before.get(i));
          }
        }
      }
    }
  }

  private static float[] snapshot(Block b) {
    List<INDArray> parts = new ArrayList<>();
    parts.add(b.params());
    if (b.layerBuffers() != null) {
      parts.add(b.layerBuffers());
    }
    if (b.state().buffers() != null) {
      parts.add(b.state().buffers());
    }
    int n = 0;
    for (INDArray p : parts) {
      n += (int) p.length();
    }
    float[] out = new float[n];
    int off = 0;
    for (INDArray p : parts) {
      float[] v = p.toFloatVector();
      System.arraycopy(v, 0, out, off, v.length);
      off += v.length;
    }
    return out;
  }

  /**
   * Both ablations make a block's output independent of z, and zero-features also leaves the
   * label path without gradient; without an ablation, z matters.
   */
  @ParameterizedTest
  @EnumSource(LabelAblation.class)
  void theAblationsIgnoreTheNoisyLabel(LabelAblation ablation) {
    try (BlockGraph g = graph(config(rule(ablation, Prediction.SOFTMAX_EMBEDDING), 2, 1), DataType.DOUBLE)) {
      Block b = g.blocks().get(0);
      NoPropState s = (NoPropState) b.state();
      INDArray x = gaussian(DataType.DOUBLE, 5, FEATURES, 6);
      try (MemoryWorkspace ws = b.openWorkspace()) {
        INDArray hx = b.forward(x, false);
        INDArray one = s.head(hx, gaussian(DataType.DOUBLE, 5, CLASSES, 7), false, b.rng());
        INDArray two = s.head(hx, gaussian(DataType.DOUBLE, 5, CLASSES, 8), false, b.rng());
        assertThat(Arrays.deepEquals(one.toDoubleMatrix(), two.toDoubleMatrix()))
            .as("%s: output independent of z", ablation)
            .isEqualTo(ablation != LabelAblation.NONE);
      }
      int[] y = {0, 1, 2, 1};
      denoise(b, gaussian(DataType.DOUBLE, 4, FEATURES, 9), y, gaussian(DataType.DOUBLE, 4, CLASSES, 10));
      // the label stem's first dense layer follows the image path's parameters in the block
      long stemWeights = b.layerParams();
      double stemGrad = 0;
      for (long i = stemWeights; i < stemWeights + CLASSES * 6 + 6; i++) {
        stemGrad += Math.abs(b.grads().getDouble(0, i));
      }
      assertThat(stemGrad > 0)
          .as("%s: the label stem gets a gradient", ablation)
          .isEqualTo(ablation != LabelAblation.ZERO_FEATURES);
    }
  }

  /** A block asked to infer without its predecessor's z on the board says what is wrong. */
  @Test
  void inferenceMustStartAtTheFirstBlock() {
    try (BlockGraph g = graph(config(rule(LabelAblation.NONE, Prediction.SOFTMAX_EMBEDDING), 2, 1), DataType.FLOAT)) {
      Block b = g.blocks().get(1);
      INDArray x = gaussian(DataType.FLOAT, 3, FEATURES, 6);
      try (MemoryWorkspace ws = b.openWorkspace();
          Signals signals = new Signals()) {
        assertThatThrownBy(() -> b.rule().infer(b, b.state(), x, signals))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("needs z_1");
      }
    }
  }

  private static float[] state(BlockGraph g) {
    List<float[]> parts = new ArrayList<>();
    int n = 0;
    for (Block b : g.blocks()) {
      float[] v = snapshot(b);
      parts.add(v);
      n += v.length;
    }
    float[] out = new float[n];
    int off = 0;
    for (float[] v : parts) {
      System.arraycopy(v, 0, out, off, v.length);
      off += v.length;
    }
    return out;
  }

  /** The deterministic readout's scores of a graph on {@code x}: uses every batch-norm statistic. */
  private static double[] deterministicScores(BlockGraph g, INDArray x) {
    try (Signals signals = new Signals()) {
      double[] out = null;
      for (Block b : g.blocks()) {
        try (MemoryWorkspace ws = b.openWorkspace()) {
          var inf = b.rule().infer(b, b.state(), x, signals);
          INDArray s = inf.scores().get(NoPropRule.DETERMINISTIC);
          if (s != null) {
            out = s.dup('c').data().asDouble();
          }
        }
      }
      return out;
    }
  }

  /**
   * A run resumed from its epoch-1 checkpoint (parameters, optimizer state, the label path's and
   * fusion's batch-norm statistics) ends bit-identical to the uninterrupted run; and the pipelined
   * schedule, each block on its own stage thread, trains the very same parameters as simultaneous.
   */
  @Test
  void resumesExactlyAndPipelinesBitIdentically() throws Exception {
    ExperimentConfig c = config(rule(LabelAblation.NONE, Prediction.SOFTMAX_EMBEDDING), 3, 2);
    DataSplits data =
        c.data().load(new DataContext(tmp, Map.of(), tmp, tmp, false, DataType.FLOAT, c.seed()));
    RunDirectory dir = new RunDirectory(tmp.resolve("run"));
    float[] uninterrupted;
    double[] scores;
    INDArray x = gaussian(DataType.FLOAT, 7, FEATURES, 12);
    try (BlockGraph g = graph(c, DataType.FLOAT)) {
      new Trainer(c, g, data, dir, new io.llt.engine.train.TrainingListener() {}, null).fit(0);
      uninterrupted = state(g);
      scores = deterministicScores(g, x);
    }
    try (BlockGraph g = graph(c, DataType.FLOAT)) {
      assertThat(Checkpoints.restore(dir.checkpointPath(1), g)).isEqualTo(1);
      new Trainer(c, g, data, null, new io.llt.engine.train.TrainingListener() {}, null).fit(1);
      assertThat(state(g)).as("resumed after epoch 1").containsExactly(uninterrupted);
      assertThat(deterministicScores(g, x)).as("inference after the resume").containsExactly(scores);
    }
    ExperimentConfig p =
        c.withTrainer(
            new TrainerConfig(
                Schedule.PIPELINED, 2, 20, null, c.trainer().optimizer(), 0, null, 3, null, null,
                null));
    try (BlockGraph g = graph(p, DataType.FLOAT)) {
      new Trainer(p, g, data, null, new io.llt.engine.train.TrainingListener() {}, null).fit(0);
      assertThat(state(g)).as("pipelined, 3 stages").containsExactly(uninterrupted);
    }
  }

  /**
   * Three blocks trained together on synthetic data: every block hands on the image, both
   * readouts are reported and beat chance (1/3) clearly.
   */
  @Test
  void trainsOnSyntheticData() {
    ExperimentConfig c = config(rule(LabelAblation.NONE, Prediction.SOFTMAX_EMBEDDING), 3, 4);
    DataSplits data =
        c.data().load(new DataContext(tmp, Map.of(), tmp, tmp, false, DataType.FLOAT, c.seed()));
    try (BlockGraph g = graph(c, DataType.FLOAT)) {
      for (Block b : g.blocks()) {
        assertThat(b.inputShape()).containsExactly(FEATURES);
        assertThat(b.outputShape()).containsExactly(FEATURES);
      }
      TrainingResult r = new Trainer(c, g, data, null, new io.llt.engine.train.TrainingListener() {}, null).fit(0);
      assertThat(r.testReadouts()).containsOnlyKeys(NoPropRule.STOCHASTIC, NoPropRule.DETERMINISTIC);
      assertThat(r.testReadouts().get(NoPropRule.STOCHASTIC)).isGreaterThan(0.7);
      assertThat(r.testReadouts().get(NoPropRule.DETERMINISTIC)).isGreaterThan(0.7);
      assertThat(r.epochs().get(r.epochs().size() - 1).blocks().get(0).loss())
          .as("block 1's loss fell")
          .isLessThan(r.epochs().get(0).blocks().get(0).loss());
      // the logged terms: denoising and KL on every block, the classifier on the last; their
      // epoch means add up to the epoch's mean loss
      var last = r.epochs().get(r.epochs().size() - 1).blocks();
      for (int i = 0; i < last.size(); i++) {
        var m = last.get(i);
        if (i == last.size() - 1) {
          assertThat(m.terms()).containsOnlyKeys("classifier", "denoising", "kl");
        } else {
          assertThat(m.terms()).containsOnlyKeys("denoising", "kl");
        }
        double sum = m.terms().values().stream().mapToDouble(Double::doubleValue).sum();
        assertThat(m.loss()).as(m.blockId()).isCloseTo(sum, offset(1e-9 * Math.abs(sum)));
        assertThat(m.terms().get("kl"))
            .as("KL is constant for the one-hot embedding")
            .isCloseTo(((NoPropState) g.blocks().get(i).state()).priorKl(new int[] {0}), offset(1e-12));
      }
    }
  }

  /**
   * {@code llt eval --per-block} (spec 2(g), ablation (c)), on images that carry no class (noise
   * 1,000 times the class means' length): the last block's prediction at its own training level
   * reads the label through its draw of q(z_2 | y) (abar_2 = 0.74) and beats chance clearly, while
   * block 1's own level (abar_0 = 1e-4) and every prediction along the chains, which never see y,
   * stay near chance (1/3). The last block's f_out readouts are the evaluator's: equal for the
   * deterministic chain, which draws nothing.
   */
  @Test
  void perBlockProbeSeparatesTheOwnNoiseLevelFromTheChains() {
    ExperimentConfig c = config(rule(LabelAblation.NONE, Prediction.SOFTMAX_EMBEDDING), 3, 4, 1000);
    DataSplits data =
        c.data().load(new DataContext(tmp, Map.of(), tmp, tmp, false, DataType.FLOAT, c.seed()));
    try (BlockGraph g = graph(c, DataType.FLOAT)) {
      new Trainer(c, g, data, null, new io.llt.engine.train.TrainingListener() {}, null).fit(0);
      var probe = io.llt.engine.train.BlockProbe.measure(g, data.test(), 40, data.test().size());
      for (int k = 0; k < 2; k++) {
        assertThat(probe.get(k).accuracy().keySet())
            .as("block %d", k)
            .containsExactly(
                NoPropState.STOCHASTIC_CHAIN, NoPropState.DETERMINISTIC_CHAIN, NoPropState.OWN_NOISE);
      }
      Map<String, Double> last = probe.get(2).accuracy();
      assertThat(last.keySet())
          .containsExactly(
              NoPropState.STOCHASTIC_CHAIN,
              NoPropState.DETERMINISTIC_CHAIN,
              NoPropState.OWN_NOISE,
              NoPropRule.STOCHASTIC,
              NoPropRule.DETERMINISTIC);
      assertThat(last.get(NoPropState.OWN_NOISE)).as("block 3 at its own level").isGreaterThan(0.6);
      assertThat(probe.get(0).accuracy().get(NoPropState.OWN_NOISE))
          .as("block 1 at its own level")
          .isLessThan(0.5);
      for (var b : probe) {
        for (String chain : List.of(NoPropState.STOCHASTIC_CHAIN, NoPropState.DETERMINISTIC_CHAIN)) {
          assertThat(b.accuracy().get(chain)).as(b.block() + " " + chain).isLessThan(0.5);
        }
      }
      var eval = io.llt.engine.train.Evaluator.evaluate(g, 3, data.test(), 40);
      assertThat(last.get(NoPropRule.DETERMINISTIC))
          .isEqualTo(eval.readouts().get(NoPropRule.DETERMINISTIC));
    }
  }

  /**
   * Under {@code prediction: logits} a block's probe scores are {@code uhat . u_c - |u_c|^2 / 2}
   * (the nearest class embedding wins), computed here by hand from the head's output and a learned
   * embedding's rows (d = 4, C = 3).
   */
  @Test
  void probeScoresUnderLogitsAreTheNearestEmbedding() {
    ExperimentConfig c =
        config(trainedRule(Prediction.LOGITS, LabelEmbedding.Kind.LEARNED, 4), 2, 1);
    try (BlockGraph g = graph(c, DataType.DOUBLE)) {
      INDArray x = gaussian(DataType.DOUBLE, 6, FEATURES, 3);
      int[] y = {0, 1, 2, 2, 1, 0};
      Block b = g.blocks().get(0);
      NoPropState s = (NoPropState) b.state();
      double[][] e = rows(s);
      assertThat(e).hasDimensions(CLASSES, 4);
      try (Signals signals = new Signals(); MemoryWorkspace ws = b.openWorkspace()) {
        Map<String, INDArray> scores = s.probe(b, x, labels(y, DataType.DOUBLE), signals);
        double[][] out =
            s.head(b.forward(x, false), Nd4j.zeros(DataType.DOUBLE, 6, 4), false, b.rng())
                .toDoubleMatrix();
        double[] expected = new double[6 * CLASSES];
        for (int i = 0; i < 6; i++) {
          for (int k = 0; k < CLASSES; k++) {
            double v = 0;
            for (int j = 0; j < 4; j++) {
              v += out[i][j] * e[k][j] - 0.5 * e[k][j] * e[k][j];
            }
            expected[i * CLASSES + k] = v;
          }
        }
        assertThat(scores.get(NoPropState.DETERMINISTIC_CHAIN).reshape(-1).toDoubleVector())
            .containsExactly(expected, offset(1e-12));
      }
    }
  }

  // ---- prototype embedding

  /** The median by selection equals the median of a sorted copy, odd and even counts, with ties. */
  @Test
  void medianBySelectionMatchesSorting() {
    SplittableRandom r = new SplittableRandom(3);
    for (int n = 1; n <= 40; n++) {
      for (int rep = 0; rep < 20; rep++) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
          v[i] = rep % 2 == 0 ? r.nextInt(5) : r.nextGaussian();
        }
        double[] sorted = v.clone();
        Arrays.sort(sorted);
        double expected = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        assertThat(Prototypes.median(v.clone())).as("n = %d, %s", n, Arrays.toString(v))
            .isEqualTo(expected);
      }
    }
  }

  /**
   * The medoid by hand: points 0, 1, 2, 10 on a line have median distances 2, 1, 2, 9 to the
   * others, so the point 1 wins; in the plane, the centre of a square beats its corners.
   */
  @Test
  void medoidByHand() {
    try (INDArray line = Nd4j.create(new double[][] {{0}, {10}, {2}, {1}});
        INDArray square =
            Nd4j.create(new double[][] {{0, 0}, {2, 0}, {1, 1}, {0, 2}, {2, 2}})) {
      assertThat(Prototypes.medoid(line)).isEqualTo(3);
      assertThat(Prototypes.medoid(square)).isEqualTo(2);
    }
  }

  /** Each class's prototype is its own medoid; a class without examples is refused by name. */
  @Test
  void prototypesAreEachClassMedoid() {
    double[][] x = {{0, 0}, {5, 5}, {10, 0}, {6, 5}, {1, 0}, {5, 9}, {2, 0}, {5, 6}};
    int[] y = {0, 1, 0, 1, 0, 1, 0, 1};
    try (INDArray f = Nd4j.create(x).castTo(DataType.FLOAT)) {
      double[][] p = Prototypes.medoids(new Dataset(f, y, 2, new long[] {2}));
      // class 0: 0, 10, 1, 2 on the x axis, median distances 2, 9, 1, 2 -> (1, 0)
      assertThat(p[0]).containsExactly(1, 0);
      // class 1: (5,5), (6,5), (5,9), (5,6), median distances 1, sqrt 2, 4, sqrt 2 -> (5, 5)
      assertThat(p[1]).containsExactly(5, 5);
      assertThatThrownBy(() -> Prototypes.medoids(new Dataset(f, y, 3, new long[] {2})))
          .isInstanceOf(io.llt.engine.BadInputException.class)
          .hasMessageContaining("class 2 has no training example")
          .hasMessageContaining("embedding: one-hot");
    }
  }

  /**
   * {@code embedding: prototype} end to end: building a trainer sets every block's embedding to
   * the training medoids (d = the image size, so the label path reads 8 values); the KL term is
   * the closed form of the prototype and constant; the chain trains above chance; a checkpoint
   * carries the prototypes to a graph that never saw the data (the {@code llt eval} path), which
   * scores exactly as the trained one; and a graph without them refuses to infer.
   */
  @Test
  void prototypeEmbeddingEndToEnd() {
    ExperimentConfig c =
        config(rule(LabelAblation.NONE, Prediction.SOFTMAX_EMBEDDING, LabelEmbedding.Kind.PROTOTYPE), 3, 4);
    DataSplits data =
        c.data().load(new DataContext(tmp, Map.of(), tmp, tmp, false, DataType.FLOAT, c.seed()));
    double[][] medoids = Prototypes.medoids(data.train());
    RunDirectory dir = new RunDirectory(tmp.resolve("proto"));
    INDArray x = gaussian(DataType.FLOAT, 7, FEATURES, 12);
    double[] scores;
    try (BlockGraph g = graph(c, DataType.FLOAT)) {
      Trainer trainer =
          new Trainer(c, g, data, dir, new io.llt.engine.train.TrainingListener() {}, null);
      for (Block b : g.blocks()) {
        LabelEmbedding e = ((NoPropState) b.state()).embedding();
        assertThat(e.dimension()).isEqualTo(FEATURES);
        for (int k = 0; k < CLASSES; k++) {
          double[] row = e.embedding(k);
          for (int j = 0; j < FEATURES; j++) {
            assertThat(row[j]).as("block %s class %d value %d", b.id(), k, j)
                .isCloseTo(medoids[k][j], offset(1e-6));
          }
        }
        int[] ys = {0, 1, 2, 1};
        double kl = ((NoPropState) b.state()).priorKl(ys);
        double expected = 0;
        for (int yv : ys) {
          expected += DtLoss.priorKl(NoiseSchedule.cosine(3, NoiseSchedule.SPEC_MAX_SIGNAL), e.embedding(yv));
        }
        assertThat(kl).isCloseTo(expected / ys.length, offset(1e-9));
      }
      TrainingResult r = trainer.fit(0);
      assertThat(r.testReadouts().get(NoPropRule.DETERMINISTIC)).isGreaterThan(0.7);
      assertThat(r.epochs().get(r.epochs().size() - 1).blocks().get(0).loss())
          .as("block 1's loss fell")
          .isLessThan(r.epochs().get(0).blocks().get(0).loss());
      scores = deterministicScores(g, x);
    }
    try (BlockGraph g = graph(c, DataType.FLOAT)) {
      assertThatThrownBy(() -> deterministicScores(g, x))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("prototype embedding was never computed");
      Checkpoints.restore(dir.checkpointPath(4), g);
      assertThat(deterministicScores(g, x)).as("restored without the data").containsExactly(scores);
    }
  }

  // ---- trained (shared) embedding

  /**
   * The squared error's gradient with respect to the embedding matrix (through the prediction
   * softmax(l) W and the target W[y]) against central differences, on the host.
   */
  @Test
  void squaredErrorEmbeddingGradientMatchesFiniteDifferences() {
    SplittableRandom r = new SplittableRandom(4);
    double[][] w = new double[CLASSES][5];
    for (double[] row : w) {
      for (int j = 0; j < row.length; j++) {
        row[j] = r.nextDouble() * 2 - 1;
      }
    }
    double[] logits = {0.3, -1.2, 0.8};
    for (int y = 0; y < CLASSES; y++) {
      double[] dW = new double[CLASSES * 5];
      LabelEmbedding.of(w).squaredError(logits, y, 0.7, new double[CLASSES], 0, dW);
      for (int m = 0; m < CLASSES; m++) {
        for (int j = 0; j < 5; j++) {
          double orig = w[m][j];
          w[m][j] = orig + 1e-6;
          double plus = LabelEmbedding.of(w).squaredError(logits, y, 1, new double[CLASSES], 0);
          w[m][j] = orig - 1e-6;
          double minus = LabelEmbedding.of(w).squaredError(logits, y, 1, new double[CLASSES], 0);
          w[m][j] = orig;
          assertThat(dW[m * 5 + j]).as("y %d, W[%d][%d]", y, m, j)
              .isCloseTo(0.7 * (plus - minus) / 2e-6, offset(1e-7));
        }
      }
    }
  }

  /** Block t's training loss with both blocks' noise streams reset, after the owner publishes. */
  private static double sharedRound(BlockGraph g, INDArray x, Labels labels) {
    Block owner = g.blocks().get(g.blocks().size() - 1);
    ((NoPropState) owner.state()).afterUpdate();
    double loss = 0;
    for (Block b : g.blocks()) {
      b.rng().setSeed(100 + b.index());
      loss += inWorkspace(b, () -> ((NoPropState) b.state()).trainStep(b, x, labels));
    }
    return loss;
  }

  /**
   * With a trained embedding the last block's gradient of f_out and W_Embed is the gradient of the
   * sum of every block's loss (each CE + KL + denoising term, the noisy labels reparameterised in
   * W_Embed), checked against central differences in double precision for the shared values and a
   * fifth of the owner's own parameters; both prediction parameterisations. The first block owns
   * nothing shared: its vector holds only its own layers and head.
   */
  @ParameterizedTest
  @EnumSource(Prediction.class)
  void sharedEmbeddingGradientsMatchFiniteDifferences(Prediction prediction) {
    ExperimentConfig c = config(trainedRule(prediction, LabelEmbedding.Kind.LEARNED, 4), 2, 1);
    try (BlockGraph g = graph(c, DataType.DOUBLE)) {
      Block first = g.blocks().get(0);
      Block owner = g.blocks().get(1);
      NoPropState s = (NoPropState) owner.state();
      long shared = CLASSES * 4 + 4 * CLASSES + CLASSES;
      assertThat(owner.state().numParams()).isEqualTo(first.state().numParams() + shared);
      int[] y = {0, 2, 1, 1, 0, 2};
      INDArray x = gaussian(DataType.DOUBLE, y.length, FEATURES, 1);
      Labels labels = labels(y, DataType.DOUBLE);
      sharedRound(g, x, labels);
      double[] analytic = owner.grads().toDoubleVector();
      long start = owner.params().length() - shared;
      int checked =
          checkGradients(owner, analytic, i -> i >= start || i % 5 == 0, () -> sharedRound(g, x, labels));
      assertThat(checked).isGreaterThan((int) shared);
      double[] w = Arrays.copyOfRange(analytic, (int) (start + 4 * CLASSES + CLASSES), analytic.length);
      assertThat(Arrays.stream(w).map(Math::abs).max().orElse(0)).as("W_Embed's gradient")
          .isGreaterThan(1e-4);
      assertThat(s.embedding().dimension()).isEqualTo(4);
    }
  }

  /**
   * {@code embedding: learned} end to end on synthetic data: the chain trains above chance; the
   * embedding moved from its initial values; every block infers with the owner's values; a run
   * resumed from its epoch-2 checkpoint (which carries W_Embed, f_out and their optimizer moments)
   * ends bit-identical to the uninterrupted one and scores the same; and the pipelined schedule,
   * with blocks on stage threads exchanging the shared values, trains too.
   */
  @Test
  void learnedEmbeddingEndToEnd() throws Exception {
    ExperimentConfig c =
        config(trainedRule(Prediction.SOFTMAX_EMBEDDING, LabelEmbedding.Kind.LEARNED, 6), 3, 4);
    DataSplits data =
        c.data().load(new DataContext(tmp, Map.of(), tmp, tmp, false, DataType.FLOAT, c.seed()));
    RunDirectory dir = new RunDirectory(tmp.resolve("learned"));
    INDArray x = gaussian(DataType.FLOAT, 7, FEATURES, 12);
    float[] uninterrupted;
    double[] scores;
    try (BlockGraph g = graph(c, DataType.FLOAT)) {
      double[][] initial = rows(((NoPropState) g.blocks().get(2).state()));
      TrainingResult r =
          new Trainer(c, g, data, dir, new io.llt.engine.train.TrainingListener() {}, null).fit(0);
      assertThat(r.testReadouts().get(NoPropRule.DETERMINISTIC)).isGreaterThan(0.7);
      assertThat(r.testReadouts().get(NoPropRule.STOCHASTIC)).isGreaterThan(0.7);
      scores = deterministicScores(g, x);
      double[][] trained = rows((NoPropState) g.blocks().get(2).state());
      assertThat(trained).as("W_Embed was trained").isNotEqualTo(initial);
      for (Block b : g.blocks()) {
        assertThat(rows((NoPropState) b.state())).as("block %s infers with the owner's W", b.id())
            .isEqualTo(trained);
      }
      uninterrupted = state(g);
    }
    try (BlockGraph g = graph(c, DataType.FLOAT)) {
      assertThat(Checkpoints.restore(dir.checkpointPath(2), g)).isEqualTo(2);
      new Trainer(c, g, data, null, new io.llt.engine.train.TrainingListener() {}, null).fit(2);
      assertThat(state(g)).as("resumed after epoch 2").containsExactly(uninterrupted);
      assertThat(deterministicScores(g, x)).as("inference after the resume").containsExactly(scores);
    }
    ExperimentConfig p =
        c.withTrainer(
            new TrainerConfig(
                Schedule.PIPELINED, 4, 20, null, c.trainer().optimizer(), 0, null, 3, null, null,
                null));
    try (BlockGraph g = graph(p, DataType.FLOAT)) {
      TrainingResult r =
          new Trainer(p, g, data, null, new io.llt.engine.train.TrainingListener() {}, null).fit(0);
      assertThat(r.testReadouts().get(NoPropRule.DETERMINISTIC)).as("pipelined").isGreaterThan(0.7);
    }
  }

  /** The embedding a state used last, as rows. */
  private static double[][] rows(NoPropState s) {
    LabelEmbedding e = s.embedding();
    double[][] out = new double[e.classes()][];
    for (int k = 0; k < out.length; k++) {
      out[k] = e.embedding(k);
    }
    return out;
  }

  /**
   * A trained prototype embedding starts from the medoids, set by the owner when the trainer is
   * built and read by every block; before that, inference fails with the fix named.
   */
  @Test
  void trainedPrototypesStartFromTheMedoids() {
    ExperimentConfig c =
        config(trainedRule(Prediction.SOFTMAX_EMBEDDING, LabelEmbedding.Kind.PROTOTYPE, null), 3, 1);
    DataSplits data =
        c.data().load(new DataContext(tmp, Map.of(), tmp, tmp, false, DataType.FLOAT, c.seed()));
    double[][] medoids = Prototypes.medoids(data.train());
    INDArray x = gaussian(DataType.FLOAT, 7, FEATURES, 12);
    try (BlockGraph g = graph(c, DataType.FLOAT)) {
      assertThatThrownBy(() -> deterministicScores(g, x))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("restore a checkpoint");
      new Trainer(c, g, data, null, new io.llt.engine.train.TrainingListener() {}, null);
      deterministicScores(g, x);
      for (Block b : g.blocks()) {
        double[][] w = rows((NoPropState) b.state());
        for (int k = 0; k < CLASSES; k++) {
          for (int j = 0; j < FEATURES; j++) {
            assertThat(w[k][j]).as("block %s class %d value %d", b.id(), k, j)
                .isCloseTo(medoids[k][j], offset(1e-6));
          }
        }
      }
    }
  }

  /** The embedding keys are checked when the config is read, naming the key and the fix. */
  @Test
  void embeddingKeysAreChecked() {
    assertThatThrownBy(
            () -> new NoPropRule.Config(null, null, null, null, List.of(dense(6)), null,
                List.of(dense(CLASSES)), LabelEmbedding.Kind.ONE_HOT, 16, null))
        .hasMessage("applies to embedding: learned only (one-hot has d = C, prototype"
            + " d = the image size); remove it or set embedding: learned");
    assertThatThrownBy(
            () -> new NoPropRule.Config(null, null, null, null, List.of(dense(6)), null,
                List.of(dense(CLASSES)), LabelEmbedding.Kind.LEARNED, 0, null))
        .hasMessage("must be >= 1, found 0; the reproductions use 256");
    assertThatThrownBy(
            () -> new NoPropRule.Config(null, null, null, null, List.of(dense(6)), null,
                List.of(dense(CLASSES)), LabelEmbedding.Kind.LEARNED, null, false))
        .hasMessageStartingWith("must be true for embedding: learned");
    NoPropRule.Config learned =
        new NoPropRule.Config(null, null, null, null, List.of(dense(6)), null,
            List.of(dense(CLASSES)), LabelEmbedding.Kind.LEARNED, null, null);
    assertThat(learned.embeddingDim()).isEqualTo(256);
    assertThat(learned.trainEmbedding()).isTrue();
    NoPropRule.Config oneHot =
        new NoPropRule.Config(null, null, null, null, List.of(dense(6)), null,
            List.of(dense(CLASSES)), null, null, null);
    assertThat(oneHot.trainEmbedding()).isFalse();
  }

  // ---- NoProp-FM

  private static NoPropFmRule.Config fm(int steps) {
    return new NoPropFmRule.Config(
        8,
        steps,
        LabelAblation.NONE,
        List.of(dense(6), bn(), tanh()),
        List.of(dense(6), bn(), tanh(), dense(6), bn()),
        List.of(dense(4), tanh()),
        List.of(dense(5), tanh(), dense(CLASSES)));
  }

  private static ExperimentConfig fmConfig(NoPropFmRule.Config rule, int epochs) {
    return new ExperimentConfig(
        "noprop-fm",
        5L,
        new SyntheticConfig(FEATURES, CLASSES, 300, 150, 0, 0.3),
        new ModelConfig(
            null, rule, List.of(new BlockConfig("flow", List.of(dense(4), bn(), tanh()), null, null))),
        new TrainerConfig(
            Schedule.SIMULTANEOUS, epochs, 20, null,
            new OptimizerConfig(OptimizerType.ADAM, 1e-2, null, null, null, null, null, null, null),
            0, null, null, null, null, null),
        null);
  }

  /** The sinusoidal time embedding by hand: width 4, so frequencies 1 and 10000^(-1/2). */
  @Test
  void timeEmbeddingByHand() {
    double[] e = TimeConditionedRule.sinusoid(new double[] {0.0, 0.5}, 4);
    assertThat(e).containsExactly(
        new double[] {0, 0, 1, 1, Math.sin(500), Math.sin(5), Math.cos(500), Math.cos(5)},
        offset(1e-12));
  }

  /**
   * The FM loss is {@code mean_b ||v(z_t, x, t) - (u_y - z_0)||^2} with {@code z_t = t u_y + (1 -
   * t) z_0} computed here on the host, and its gradients (image path, label path, time path,
   * fusion) match central differences.
   */
  @Test
  void flowLossAndGradientsMatchTheEquation() {
    try (BlockGraph g = graph(fmConfig(fm(5), 1), DataType.DOUBLE)) {
      Block b = g.blocks().get(0);
      FlowState s = (FlowState) b.state();
      int[] y = {0, 2, 1, 1, 0};
      double[] t = {0.1, 0.5, 0.9, 0.0, 0.33};
      INDArray x = gaussian(DataType.DOUBLE, y.length, FEATURES, 1);
      INDArray u = labels(y, DataType.DOUBLE).oneHot();
      INDArray z0 = gaussian(DataType.DOUBLE, y.length, CLASSES, 2);
      double got;
      try (MemoryWorkspace ws = b.openWorkspace()) {
        got = s.flow(b, x, u, z0, t);
      }
      double[] analytic = b.grads().toDoubleVector();
      double want = 0;
      try (MemoryWorkspace ws = b.openWorkspace()) {
        double[][] zt = new double[y.length][CLASSES];
        for (int r = 0; r < y.length; r++) {
          for (int j = 0; j < CLASSES; j++) {
            zt[r][j] = t[r] * (j == y[r] ? 1 : 0) + (1 - t[r]) * z0.getDouble(r, j);
          }
        }
        INDArray v = s.velocity(b.forward(x, true), Nd4j.create(zt), t, true, b.rng());
        for (int r = 0; r < y.length; r++) {
          for (int j = 0; j < CLASSES; j++) {
            double e = v.getDouble(r, j) - ((j == y[r] ? 1 : 0) - z0.getDouble(r, j));
            want += e * e;
          }
        }
      }
      assertThat(got).isCloseTo(want / y.length, offset(1e-12));
      int checked =
          checkGradients(b, analytic, i -> i % 3 == 0, () -> inWorkspace(b, () -> s.flow(b, x, u, z0, t)));
      assertThat(checked).isGreaterThan(60);
    }
  }

  /** One FM block trained on synthetic data: both readouts beat chance (1/3) clearly. */
  @Test
  void flowMatchingTrainsOnSyntheticData() {
    ExperimentConfig c = fmConfig(fm(10), 5);
    DataSplits data =
        c.data().load(new DataContext(tmp, Map.of(), tmp, tmp, false, DataType.FLOAT, c.seed()));
    try (BlockGraph g = graph(c, DataType.FLOAT)) {
      TrainingResult r = new Trainer(c, g, data, null, new io.llt.engine.train.TrainingListener() {}, null).fit(0);
      assertThat(r.testReadouts()).containsOnlyKeys(NoPropRule.STOCHASTIC, NoPropRule.DETERMINISTIC);
      assertThat(r.testReadouts().get(NoPropRule.DETERMINISTIC)).isGreaterThan(0.6);
      assertThat(r.testReadouts().get(NoPropRule.STOCHASTIC)).isGreaterThan(0.5);
    }
  }

  /** An FM model must be one block. */
  @Test
  void flowMatchingRefusesSeveralBlocks() {
    ExperimentConfig one = fmConfig(fm(5), 1);
    List<BlockConfig> two =
        List.of(one.model().blocks().get(0), new BlockConfig("b2", List.of(dense(4)), null, null));
    ExperimentConfig c = one.withModel(new ModelConfig(null, one.model().rule(), two));
    var issues = new GraphBuilder(TypeRegistry.load()).validate(c, new long[] {FEATURES});
    assertThat(issues).isNotEmpty();
    assertThat(issues.get(0).path()).isEqualTo("model.blocks[0].layers");
    assertThat(issues.get(0).message()).contains("one time-conditioned block", "has 2 blocks");
  }

  // ---- NoProp-CT

  /**
   * The learned schedule: gt(0) = 0, gt(1) = 1, strictly increasing, gt' its derivative in t, and
   * the gradients of gt and gt' with respect to the raw parameters, all against central differences
   * at random parameters.
   */
  @Test
  void monotoneScheduleAndItsGradients() {
    MonotoneSchedule m = new MonotoneSchedule(3, -7, 7);
    SplittableRandom r = new SplittableRandom(4);
    double[] p = new double[m.numParams()];
    for (int i = 0; i < p.length; i++) {
      p[i] = r.nextDouble() * 2 - 1;
    }
    assertThat(m.at(p, 0).gt()).isCloseTo(0, offset(1e-15));
    assertThat(m.at(p, 1).gt()).isCloseTo(1, offset(1e-15));
    assertThat(m.alphaBar(p, 0)).isCloseTo(1 / (1 + Math.exp(7)), offset(1e-15));
    double prev = -1;
    for (int i = 0; i <= 100; i++) {
      double gt = m.at(p, i / 100.0).gt();
      assertThat(gt).isGreaterThan(prev);
      prev = gt;
    }
    double h = 1e-6;
    for (double t : new double[] {0.0, 0.13, 0.5, 0.87}) {
      MonotoneSchedule.Point pt = m.at(p, t);
      double numeric = (m.at(p, t + h).gt() - m.at(p, Math.max(0, t - h)).gt()) / (t == 0 ? h : 2 * h);
      assertThat(pt.gtPrime()).as("gt' at %s", t).isCloseTo(numeric, offset(1e-5));
      for (int i = 0; i < p.length; i++) {
        double[] q = p.clone();
        q[i] += h;
        MonotoneSchedule.Point plus = m.at(q, t);
        q[i] -= 2 * h;
        MonotoneSchedule.Point minus = m.at(q, t);
        assertThat(pt.dGt()[i]).as("dgt/dp%d at %s", i, t).isCloseTo((plus.gt() - minus.gt()) / (2 * h), offset(1e-7));
        assertThat(pt.dGtPrime()[i])
            .as("dgt'/dp%d at %s", i, t)
            .isCloseTo((plus.gtPrime() - minus.gtPrime()) / (2 * h), offset(1e-6));
      }
    }
  }

  private static NoPropCtRule.Config ct(int steps) {
    return new NoPropCtRule.Config(
        1.0, null, null, 3, 8, steps, LabelAblation.NONE,
        List.of(dense(6), bn(), tanh()),
        List.of(dense(6), bn(), tanh(), dense(6), bn()),
        List.of(dense(4), tanh()),
        List.of(dense(5), tanh(), dense(CLASSES)));
  }

  private static ExperimentConfig ctConfig(NoPropCtRule.Config rule, int epochs) {
    ExperimentConfig f = fmConfig(fm(5), epochs);
    return f.withModel(new ModelConfig(null, rule, f.model().blocks()));
  }

  /**
   * The CT denoising term's gradients with respect to every parameter, the learned schedule's
   * included (through SNR'(t) and through the draw of z_t, so through the label path's input
   * gradient), against central differences at fixed t and noise; and the reverse step on the
   * learned schedule is the exact posterior: it carries q(z_t0 | y) to q(z_t1 | y).
   */
  @Test
  void continuousTimeGradientsAndSteps() {
    try (BlockGraph g = graph(ctConfig(ct(5), 1), DataType.DOUBLE)) {
      Block b = g.blocks().get(0);
      CtState s = (CtState) b.state();
      // move the schedule off its initialisation so that every parameter matters
      INDArray p = b.params();
      long off = b.layerParams() + (b.state().numParams() - 7 - (CLASSES * CLASSES + CLASSES));
      SplittableRandom r = new SplittableRandom(8);
      for (int i = 0; i < 7; i++) {
        p.putScalar(0, off + i, r.nextDouble() * 2 - 1);
      }
      int[] y = {0, 2, 1, 1, 0};
      double[] t = {0.1, 0.5, 0.9, 0.02, 0.33};
      INDArray x = gaussian(DataType.DOUBLE, y.length, FEATURES, 1);
      INDArray eps = gaussian(DataType.DOUBLE, y.length, CLASSES, 2);
      try (MemoryWorkspace ws = b.openWorkspace()) {
        s.denoise(b, x, y, t, eps);
      }
      double[] analytic = b.grads().toDoubleVector();
      long end = p.length() - (CLASSES * CLASSES + CLASSES);
      // every schedule parameter, every third of the network's; not the classifier (no term here)
      int checked =
          checkGradients(
              b, analytic, i -> i < end && (i >= off || i % 3 == 0),
              () -> inWorkspace(b, () -> s.denoise(b, x, y, t, eps)));
      assertThat(checked).isGreaterThan(60);
      double[] sp = s.scheduleParameters();
      MonotoneSchedule m = new MonotoneSchedule(3, -7, 7);
      for (int k = 1; k <= 10; k++) {
        double t0 = (k - 1) / 10.0;
        double t1 = k / 10.0;
        DtSampler.Coefficients c = s.step(sp, t0, t1);
        double a0 = m.alphaBar(sp, t0);
        double a1 = m.alphaBar(sp, t1);
        assertThat(c.a() + c.b() * Math.sqrt(a0)).as("mean at %s", t1).isCloseTo(Math.sqrt(a1), offset(1e-12));
        assertThat(c.b() * c.b() * (1 - a0) + c.c()).as("variance at %s", t1).isCloseTo(1 - a1, offset(1e-12));
      }
      double a0 = m.alphaBar(sp, 0);
      assertThat(s.priorKl()).isCloseTo(0.5 * (a0 - CLASSES * (a0 + Math.log1p(-a0))), offset(1e-15));
    }
  }

  /** One CT block trained on synthetic data: both readouts beat chance (1/3) clearly. */
  @Test
  void continuousTimeTrainsOnSyntheticData() {
    ExperimentConfig c = ctConfig(ct(10), 5);
    DataSplits data =
        c.data().load(new DataContext(tmp, Map.of(), tmp, tmp, false, DataType.FLOAT, c.seed()));
    try (BlockGraph g = graph(c, DataType.FLOAT)) {
      TrainingResult r = new Trainer(c, g, data, null, new io.llt.engine.train.TrainingListener() {}, null).fit(0);
      assertThat(r.testReadouts()).containsOnlyKeys(NoPropRule.STOCHASTIC, NoPropRule.DETERMINISTIC);
      assertThat(r.testReadouts().get(NoPropRule.DETERMINISTIC)).isGreaterThan(0.6);
      assertThat(r.testReadouts().get(NoPropRule.STOCHASTIC)).isGreaterThan(0.5);
    }
  }
}

