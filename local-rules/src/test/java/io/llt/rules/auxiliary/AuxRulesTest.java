package io.llt.rules.auxiliary;

import static org.assertj.core.api.Assertions.assertThat;

import io.llt.engine.config.BlockConfig;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.ModelConfig;
import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.config.OptimizerType;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TrainerConfig;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.data.SyntheticConfig;
import io.llt.engine.graph.Block;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.Signals;
import io.llt.engine.spi.StepResult;
import io.llt.engine.testing.GradCheck;
import io.llt.engine.testing.NativeLeakCheck;
import io.llt.layers.activation.Activation;
import io.llt.layers.activation.ActivationLayer;
import io.llt.layers.conv.Conv2dLayer;
import io.llt.layers.dense.WeightInit;
import io.llt.layers.norm.BatchNormLayer;
import io.llt.layers.pool.GlobalAvgPoolLayer;
import io.llt.layers.residual.ResidualLayer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The auxiliary-network rules on a tiny ResNet in double precision: every block's gradients are
 * those of its own local loss (central differences over the block's layers, its MAN branch and its
 * head); no block's update depends on a later block, except MAN's EMA branch, which moves by
 * exactly {@code (1 - m)} times a change of the next block's first layer and by nothing else; the
 * EMA follows its formula in both forms; the parameter read has lag 0 under sequential steps.
 */
@ExtendWith(NativeLeakCheck.class)
class AuxRulesTest {
  private static final long[] INPUT = {2, 6, 6};
  private static final int FEATURES = 72;
  private static final int CLASSES = 3;
  private static final int[] Y = {0, 2, 1, 1, 0, 2, 2, 1};

  private static List<BlockConfig> blocks() {
    List<LayerConfig> stem =
        List.of(
            new Conv2dLayer.Config(3, 3, 1, 1, null, false, WeightInit.KAIMING_NORMAL_FAN_OUT, null),
            new BatchNormLayer.Config(true, null, null),
            new ActivationLayer.Config(Activation.RELU));
    return List.of(
        new BlockConfig("stem", stem, null, null),
        new BlockConfig("res1", List.of(new ResidualLayer.Config(4, 2, null)), null, null),
        new BlockConfig("res2", List.of(new ResidualLayer.Config(4, null, null)), null, null),
        new BlockConfig(
            "top",
            List.of(new ResidualLayer.Config(6, 2, null), new GlobalAvgPoolLayer.Config()),
            null,
            null));
  }

  private static BlockGraph graph(LocalRuleConfig rule) {
    ExperimentConfig c =
        new ExperimentConfig(
            "aux", 3L, new SyntheticConfig(FEATURES, CLASSES, 16, 16, 0, 0.3),
            new ModelConfig(List.of(2L, 6L, 6L), rule, blocks()),
            new TrainerConfig(
                Schedule.SIMULTANEOUS, 1, 8, null,
                new OptimizerConfig(OptimizerType.SGD, 0.1, null, null, null, null, null, null, null),
                0, null, null, null, null, null),
            null);
    GraphBuilder builder = new GraphBuilder(TypeRegistry.load());
    assertThat(builder.validate(c, INPUT)).isEmpty();
    return builder.build(c, INPUT, CLASSES, DataType.DOUBLE);
  }

  private static INDArray gaussian(long rows, long cols, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] v = new double[(int) (rows * cols)];
    for (int i = 0; i < v.length; i++) {
      double u1 = 1.0 - r.nextDouble();
      v[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * r.nextDouble());
    }
    return Nd4j.create(v, new long[] {rows, cols}, 'c');
  }

  /** The batch's images in [0, 1] for InfoPro's reconstruction (fixed, not the blocks' input). */
  private static INDArray image() {
    try (MemoryWorkspace o = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      SplittableRandom r = new SplittableRandom(17);
      double[] v = new double[Y.length * FEATURES];
      for (int i = 0; i < v.length; i++) {
        v[i] = r.nextDouble();
      }
      return Nd4j.create(v, new long[] {Y.length, FEATURES}, 'c');
    }
  }

  private static Labels labels() {
    INDArray oh = Nd4j.zeros(DataType.DOUBLE, Y.length, CLASSES);
    for (int i = 0; i < Y.length; i++) {
      oh.putScalar(i, Y[i], 1.0);
    }
    return new Labels(oh, Y);
  }

  /** One local step of {@code b} in its workspace; returns the loss, output detached into {@code out}. */
  private static double step(Block b, INDArray x, INDArray[] out) {
    return stepResult(b, x, out).loss();
  }

  /** One step of block {@code b}'s rule (no update); the output is copied to {@code out[0]}. */
  private static StepResult stepResult(Block b, INDArray x, INDArray[] out) {
    try (MemoryWorkspace ws = b.openWorkspace(); Signals s = new Signals()) {
      if (b.rule().readsInputImage()) {
        s.putImage(image());
      }
      StepResult r = b.rule().step(b, b.state(), x, labels(), s);
      if (out != null) {
        try (MemoryWorkspace o = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
          out[0] = r.output().dup();
        }
      }
      return new StepResult(null, r.loss(), r.terms());
    }
  }

  /** Steps, updates and publishes every block in chain order, as the simultaneous trainer does. */
  private static void trainBatch(BlockGraph g, INDArray x) {
    INDArray in = x;
    for (Block b : g.blocks()) {
      INDArray[] out = new INDArray[1];
      step(b, in, out);
      try (MemoryWorkspace ws = b.openWorkspace()) {
        b.optimizer().step(b.params(), b.grads(), 0.1);
        b.rule().afterUpdate(b, b.state());
      }
      b.afterUpdate();
      in = out[0];
    }
  }

  /**
   * Central differences of the block's local loss against the gradient its step writes, for about
   * 60 parameters spread evenly over the whole vector (layers, MAN branch, head, classifier);
   * relative error below 1e-5 (floored at 1e-3).
   */
  private static void checkGradients(Block b, INDArray x) {
    step(b, x, null);
    double[] analytic = b.grads().toDoubleVector();
    long stride = Math.max(1, b.params().length() / 60);
    int checked =
        GradCheck.assertBlockGradients(b, analytic, i -> i % stride == 0, () -> step(b, x, null));
    assertThat(checked).isGreaterThanOrEqualTo(60);
    assertThat(Arrays.stream(analytic).map(Math::abs).max().orElse(0)).isGreaterThan(1e-4);
  }

  @Test
  void auxHeadGradientsAreThoseOfTheLocalLoss() {
    try (BlockGraph g = graph(new AuxHeadRule.Config(HeadPreset.INFOPRO_1C2F, null, 5))) {
      INDArray x = gaussian(Y.length, FEATURES, 1);
      checkGradients(g.blocks().get(0), x);
      // the last block: the network's own linear classifier on the pooled features
      INDArray[] h = new INDArray[1];
      INDArray in = x;
      for (int i = 0; i < 3; i++) {
        step(g.blocks().get(i), in, h);
        in = h[0];
      }
      Block top = g.blocks().get(3);
      assertThat(top.state().numParams()).isEqualTo(6 * CLASSES + CLASSES);
      checkGradients(top, in);
    }
  }

  @Test
  void augLocalGradientsAreThoseOfTheLocalLoss() {
    try (BlockGraph g = graph(new AugLocalRule.Config(2, true, 0.5, 1.0))) {
      Block stem = g.blocks().get(0);
      // layer 0 of 4 primary layers (stem, res1, res2, top's residual): copies layers 2 and 3
      AugLocalRule.Plan plan =
          ((AugLocalRule) stem.rule()).plan(contextOf(g, 0));
      assertThat(plan.aux()).extracting(AugLocalPlan.AuxLayer::layer).containsExactly(2, 3);
      checkGradients(stem, gaussian(Y.length, FEATURES, 2));
    }
  }

  @Test
  void manGradientsIncludeTheBranchAndFlowThroughTheEmaCopy() {
    try (BlockGraph g = graph(new ManRule.Config(0.9, ManRule.Form.PAPER, HeadPreset.LINEAR, null, null))) {
      Block stem = g.blocks().get(0);
      ManBranch branch = ((AuxState) stem.state()).branch();
      // LB and E are copies of res1 (a stride-2 projection block): both in the paper form's params
      long next = g.blocks().get(1).layers().get(0).numParams();
      assertThat(branch.numParams()).isEqualTo(2 * next);
      checkGradients(stem, gaussian(Y.length, FEATURES, 3));
    }
  }

  /**
   * InfoPro's loss on both rules: the decoder (with the bilinear upsampling of res1's 3x3 output to
   * the 6x6 image for the blocks after the stem) is in the checked gradients, the loss is lambda1
   * BCE + lambda2 CE with the weights of InfoPro's block index, and a block without the image on
   * its board is refused.
   */
  @Test
  void infoProGradientsIncludeTheDecoderOnBothRules() {
    InfoProLoss loss = new InfoProLoss(List.of(5.0, 1.0), List.of(0.5, 2.0), 3);
    try (BlockGraph g = graph(new AuxHeadRule.Config(HeadPreset.LINEAR, null, null, loss))) {
      // K = 4: r = 0, 1/2, 1 for blocks 0..2
      AuxState res1 = (AuxState) g.blocks().get(1).state();
      assertThat(res1.reconstructionWeight()).isCloseTo(3.0, org.assertj.core.data.Offset.offset(1e-12));
      assertThat(res1.taskWeight()).isCloseTo(1.25, org.assertj.core.data.Offset.offset(1e-12));
      assertThat(res1.decoder().layers().get(0))
          .isInstanceOf(io.llt.layers.shape.UpsampleLayer.class);
      assertThat(((AuxState) g.blocks().get(3).state()).decoder()).isNull();
      INDArray x = gaussian(Y.length, FEATURES, 5);
      checkGradients(g.blocks().get(0), x);
      INDArray[] h = new INDArray[1];
      step(g.blocks().get(0), x, h);
      checkGradients(g.blocks().get(1), h[0]);
    }
    try (BlockGraph g =
        graph(new ManRule.Config(1.0, ManRule.Form.CODE, HeadPreset.LINEAR, null, null, loss))) {
      // momentum 1 keeps E fixed across the probes (the code form pulls E inside every step)
      checkGradients(g.blocks().get(0), gaussian(Y.length, FEATURES, 6));
      Block stem = g.blocks().get(0);
      try (MemoryWorkspace ws = stem.openWorkspace(); Signals s = new Signals()) {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> stem.rule().step(stem, stem.state(), gaussian(Y.length, FEATURES, 6), labels(), s))
            .hasMessageContaining("input image");
      }
    }
  }

  /**
   * The step's loss is lambda1 BCE + lambda2 CE: with the task weight 0 it is the reconstruction
   * alone, computed here by hand from the decoder's own output. The step reports the two terms
   * unweighted, and with other weights on the same network the loss is their weighted sum.
   */
  @Test
  void infoProLossIsTheWeightedSumOfTheTwoTerms() {
    InfoProLoss rec = new InfoProLoss(List.of(2.0), List.of(0.0), 3);
    INDArray x = gaussian(Y.length, FEATURES, 7);
    StepResult both;
    try (BlockGraph g =
        graph(new AuxHeadRule.Config(
            HeadPreset.LINEAR, null, null, new InfoProLoss(List.of(3.0), List.of(0.5), 3)))) {
      both = stepResult(g.blocks().get(0), x, null);
    }
    try (BlockGraph g = graph(new AuxHeadRule.Config(HeadPreset.LINEAR, null, null, rec))) {
      Block stem = g.blocks().get(0);
      StepResult r = stepResult(stem, x, null);
      double loss = r.loss();
      assertThat(r.terms()).containsOnlyKeys("reconstruction", "task");
      assertThat(r.terms().get("task")).isPositive().isFinite();
      assertThat(both.terms().get("reconstruction"))
          .isCloseTo(r.terms().get("reconstruction"), org.assertj.core.data.Offset.offset(1e-12));
      assertThat(both.terms().get("task"))
          .isCloseTo(r.terms().get("task"), org.assertj.core.data.Offset.offset(1e-12));
      assertThat(both.loss())
          .isCloseTo(
              3.0 * r.terms().get("reconstruction") + 0.5 * r.terms().get("task"),
              org.assertj.core.data.Offset.offset(1e-10));
      AuxState s = (AuxState) stem.state();
      double expected;
      try (MemoryWorkspace ws = stem.openWorkspace()) {
        INDArray a = s.decoder().forward(stem.forward(x, true), true, stem.rng());
        double[] av = a.dup('c').data().asDouble();
        double[] t = image().data().asDouble();
        double sum = 0;
        for (int i = 0; i < av.length; i++) {
          double p = 1 / (1 + Math.exp(-av[i]));
          sum -= t[i] * Math.log(p) + (1 - t[i]) * Math.log(1 - p);
        }
        expected = 2.0 * sum / av.length;
      }
      assertThat(loss).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-10));
      assertThat(r.terms().get("reconstruction"))
          .isCloseTo(expected / 2.0, org.assertj.core.data.Offset.offset(1e-10));
    }
  }

  private static io.llt.engine.spi.BlockContext contextOf(BlockGraph g, int i) {
    ExperimentConfig c =
        new ExperimentConfig(
            "aux", 3L, new SyntheticConfig(FEATURES, CLASSES, 16, 16, 0, 0.3),
            new ModelConfig(List.of(2L, 6L, 6L), g.blocks().get(i).rule().config(), blocks()),
            new TrainerConfig(Schedule.SIMULTANEOUS, 1, 8, null,
                new OptimizerConfig(OptimizerType.SGD, 0.1, null, null, null, null, null, null, null),
                0, null, null, null, null, null),
            null);
    Block b = g.blocks().get(i);
    return new io.llt.engine.spi.BlockContext(
        b.id(), i, g.blocks().size(), b.inputShape(), b.layers().get(b.layers().size() - 1).outputShape(),
        CLASSES, DataType.DOUBLE, new long[g.blocks().size()], GraphBuilder.chain(c, INPUT, DataType.DOUBLE));
  }

  /**
   * Isolation: perturbing every later block leaves block 0's whole state after one training batch
   * bit-identical, for aux-head and AugLocal; for MAN, perturbing block 2 changes nothing in block
   * 0, and perturbing block 1 (the layer MAN reads) changes only block 0's EMA copy, by exactly
   * (1 - m) times the perturbation.
   */
  @Test
  void noBlockDependsOnALaterOneExceptThroughTheDeclaredRead() {
    INDArray x = gaussian(Y.length, FEATURES, 4);
    for (LocalRuleConfig rule :
        List.<LocalRuleConfig>of(
            new AuxHeadRule.Config(HeadPreset.INFOPRO_2C2F, null, 4),
            new AugLocalRule.Config(2, true, 0.5, 1.0))) {
      double[] base = block0AfterBatch(rule, x, -1, 0);
      for (int later = 1; later < 4; later++) {
        assertThat(block0AfterBatch(rule, x, later, 0.3)).as(rule + " block " + later).isEqualTo(base);
      }
    }
    double m = 0.9;
    ManRule.Config man = new ManRule.Config(m, ManRule.Form.CODE, HeadPreset.LINEAR, null, null);
    double[] base = block0AfterBatch(man, x, -1, 0);
    assertThat(block0AfterBatch(man, x, 2, 0.3)).isEqualTo(base);
    assertThat(block0AfterBatch(man, x, 3, 0.3)).isEqualTo(base);
    double[] moved = block0AfterBatch(man, x, 1, 0.3);
    try (BlockGraph g = graph(man)) {
      Block b0 = g.blocks().get(0);
      int params = (int) b0.params().length();
      int emaStart = params + (int) (((AuxState) b0.state()).buffers().length()
          - ((AuxState) b0.state()).branch().emaParamCount());
      for (int i = 0; i < base.length; i++) {
        double expect = i >= emaStart ? base[i] + (1 - m) * 0.3 : base[i];
        assertThat(moved[i]).as("value %d (EMA copy from %d)", i, emaStart).isCloseTo(expect, org.assertj.core.data.Offset.offset(1e-12));
      }
    }
  }

  /**
   * Block 0's parameters then its rule buffers after one training batch; {@code perturbed} (when
   * >= 0) has {@code delta} added to every parameter before the batch.
   */
  private static double[] block0AfterBatch(LocalRuleConfig rule, INDArray x, int perturbed, double delta) {
    try (BlockGraph g = graph(rule)) {
      if (perturbed >= 0) {
        Block b = g.blocks().get(perturbed);
        b.params().addi(delta);
        b.publishParams();
      }
      trainBatch(g, x);
      Block b0 = g.blocks().get(0);
      double[] p = b0.params().toDoubleVector();
      INDArray buf = b0.state().buffers();
      double[] s = buf == null ? new double[0] : buf.toDoubleVector();
      double[] out = Arrays.copyOf(p, p.length + s.length);
      System.arraycopy(s, 0, out, p.length, s.length);
      return out;
    }
  }

  /**
   * Inference is the plain network: the blocks before the last evaluated one are run through their
   * layers only (their inference memory is exactly that of the block's forward, no auxiliary
   * network), and a partial chain is read by the auxiliary head of its last block.
   */
  @Test
  void inferenceRunsOnlyTheLastEvaluatedBlocksHead() {
    try (BlockGraph g = graph(new AugLocalRule.Config(2, true, 0.5, 1.0))) {
      INDArray x = gaussian(Y.length, FEATURES, 8);
      io.llt.engine.data.Dataset data =
          new io.llt.engine.data.Dataset(x, Y, CLASSES, new long[] {FEATURES});
      io.llt.engine.memory.MemoryTracker tracker =
          new io.llt.engine.memory.MemoryTracker(List.of("stem", "res1", "res2", "top"), 0);
      // the first pass sizes the step workspace (ND4J's learning loop allocates outside it)
      io.llt.engine.train.Evaluator.evaluate(g, 4, data, Y.length, null);
      var full = io.llt.engine.train.Evaluator.evaluate(g, 4, data, Y.length, tracker);
      assertThat(full.readouts()).containsOnlyKeys("last");
      Block stem = g.blocks().get(0);
      long forwardOnly;
      try (MemoryWorkspace ws = stem.openWorkspace()) {
        stem.forward(x, false);
        forwardOnly = ws.getPrimaryOffset();
      }
      assertThat(tracker.peakBytes(0, io.llt.engine.memory.MemoryPhase.INFERENCE) - stem.fixedBytes())
          .as("block 0's inference is its forward alone")
          .isEqualTo(forwardOnly);
      var partial = io.llt.engine.train.Evaluator.evaluate(g, 2, data, Y.length, null);
      assertThat(partial.headline()).isBetween(0.0, 1.0);
    }
  }

  /**
   * {@code llt eval --per-block}: every block reports its auxiliary head's accuracy, and block k's
   * equals the network's readout of the chain cut after block k (each read by the same head).
   */
  @Test
  void perBlockProbeReadsEachBlocksHead() {
    try (BlockGraph g = graph(new AugLocalRule.Config(2, true, 0.5, 1.0))) {
      INDArray x = gaussian(Y.length, FEATURES, 8);
      trainBatch(g, x);
      io.llt.engine.data.Dataset data =
          new io.llt.engine.data.Dataset(x, Y, CLASSES, new long[] {FEATURES});
      var probe = io.llt.engine.train.BlockProbe.measure(g, data, 5, Y.length);
      assertThat(probe).extracting(io.llt.engine.train.BlockProbe.BlockAccuracy::block)
          .containsExactly("stem", "res1", "res2", "top");
      for (int k = 0; k < 4; k++) {
        var chain = io.llt.engine.train.Evaluator.evaluate(g, k + 1, data, 5, null);
        assertThat(probe.get(k).accuracy()).as("block %d", k).containsOnlyKeys("scores");
        assertThat(probe.get(k).accuracy().get("scores"))
            .as("block %d against the chain cut after it", k)
            .isEqualTo(chain.headline());
      }
      var head = io.llt.engine.train.BlockProbe.measure(g, data, 5, 3);
      assertThat(head.get(3).accuracy().get("scores"))
          .as("the first 3 examples")
          .isEqualTo(io.llt.engine.train.Evaluator.evaluate(g, 4, data.head(3), 5, null).headline());
    }
  }

  /** Block {@code k}'s auxiliary scores of {@code x} in inference mode, detached. */
  private static double[] auxScores(BlockGraph g, int k, INDArray x) {
    INDArray in = x;
    for (int i = 0; i < k; i++) {
      Block b = g.blocks().get(i);
      try (MemoryWorkspace ws = b.openWorkspace()) {
        INDArray out = b.forward(in, false);
        try (MemoryWorkspace o = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
          INDArray next = out.dup();
          if (in != x) {
            in.close();
          }
          in = next;
        }
      }
    }
    Block b = g.blocks().get(k);
    try (MemoryWorkspace ws = b.openWorkspace(); Signals s = new Signals()) {
      return b.rule().infer(b, b.state(), in, s).scores().get("scores").dup().data().asDouble();
    } finally {
      if (in != x) {
        in.close();
      }
    }
  }

  /**
   * A checkpoint keeps everything the auxiliary networks' inference reads (InfoPro + MAN, code
   * form: LB's and E's batch-norm statistics and E's weights in the rule buffers, the 2c2f head's
   * statistics): the restored network scores bit-identically.
   */
  @Test
  void auxiliaryScoresSurviveACheckpoint(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
      throws Exception {
    ManRule.Config man =
        new ManRule.Config(
            0.8, ManRule.Form.CODE, HeadPreset.INFOPRO_2C2F, null, 8,
            new InfoProLoss(List.of(5.0), List.of(0.5), 3));
    INDArray x = gaussian(Y.length, FEATURES, 31);
    java.nio.file.Path ck = tmp.resolve("a.ckpt");
    double[][] before = new double[3][];
    try (BlockGraph g = graph(man)) {
      for (int k = 0; k < 3; k++) {
        trainBatch(g, gaussian(Y.length, FEATURES, 40 + k));
      }
      for (int k = 0; k < 3; k++) {
        before[k] = auxScores(g, k, x);
      }
      io.llt.engine.train.Checkpoints.write(ck, g, 1);
    }
    try (BlockGraph g = graph(man)) {
      io.llt.engine.train.Checkpoints.restore(ck, g);
      for (int k = 0; k < 3; k++) {
        assertThat(auxScores(g, k, x)).as("block %d", k).containsExactly(before[k]);
      }
    }
  }

  /** Code form: after one batch xi = m xi0 + (1 - m) theta_next (pre-step), untouched by SGD. */
  @Test
  void emaCopyFollowsItsFormulaInTheCodeForm() {
    double m = 0.8;
    try (BlockGraph g = graph(new ManRule.Config(m, null, HeadPreset.LINEAR, null, null))) {
      Block b0 = g.blocks().get(0);
      Block b1 = g.blocks().get(1);
      ManBranch branch = ((AuxState) b0.state()).branch();
      double[] xi0 = branch.emaParams().toDoubleVector();
      long n = b1.layers().get(0).numParams();
      double[] theta = b1.params().toDoubleVector();
      // E has no optimizer state: its values are not in the block's parameter vector
      assertThat(b0.params().length())
          .isEqualTo(b0.layerParams() + branch.numParams() + ((AuxState) b0.state()).body().numParams()
              + ((AuxState) b0.state()).classifier().numParams());
      assertThat(branch.numParams()).isEqualTo(n);
      trainBatch(g, gaussian(Y.length, FEATURES, 5));
      double[] xi = branch.emaParams().toDoubleVector();
      assertThat(xi).hasSize((int) n);
      for (int i = 0; i < n; i++) {
        assertThat(xi[i]).isCloseTo(m * xi0[i] + (1 - m) * theta[i], org.assertj.core.data.Offset.offset(1e-12));
      }
      assertThat(b0.successorParams().lastLag()).isZero();
      assertThat(b0.successorParams().version()).isEqualTo(b1.updates());
      trainBatch(g, gaussian(Y.length, FEATURES, 6));
      assertThat(b0.successorParams().lastLag()).isZero();
      assertThat(b0.successorParams().takeMaxLag()).isZero();
    }
  }

  /** Paper form: E takes its SGD step first, then the pull: xi = m (xi0 - lr g) + (1 - m) theta. */
  @Test
  void emaCopyFollowsItsFormulaInThePaperForm() {
    double m = 0.7;
    try (BlockGraph g = graph(new ManRule.Config(m, ManRule.Form.PAPER, HeadPreset.LINEAR, null, null))) {
      Block b0 = g.blocks().get(0);
      Block b1 = g.blocks().get(1);
      ManBranch branch = ((AuxState) b0.state()).branch();
      double[] xi0 = branch.emaParams().toDoubleVector();
      double[] theta = b1.params().toDoubleVector();
      INDArray x = gaussian(Y.length, FEATURES, 7);
      step(b0, x, null);
      // E's gradient, from the slice of the block's gradient vector that its parameters occupy
      long off = b0.layerParams() + branch.numParams() - branch.emaParamCount();
      double[] grad = b0.grads().toDoubleVector();
      trainBatch(g, x);
      double[] xi = branch.emaParams().toDoubleVector();
      double changed = 0;
      for (int i = 0; i < xi.length; i++) {
        double gi = grad[(int) (off + i)];
        changed = Math.max(changed, Math.abs(gi));
        assertThat(xi[i])
            .isCloseTo(m * (xi0[i] - 0.1 * gi) + (1 - m) * theta[i], org.assertj.core.data.Offset.offset(1e-12));
      }
      assertThat(changed).as("E received a gradient").isGreaterThan(1e-6);
    }
  }
}
