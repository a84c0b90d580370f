package io.llt.rules.noprop;

import io.llt.engine.graph.Block;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.Labels;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.GaussianDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The state of a NoProp-FM block: its label path, time path and fusion ({@link DenoiserHead})
 * after the image path in the block's parameters, and the fixed one-hot embedding. See {@link
 * NoPropFmRule} for the equations.
 */
final class FlowState implements TimeConditionedRule.State {
  /**
   * The workspace each step of inference runs in (FM's Euler steps, CT's reverse steps), so that
   * N steps cost one step's memory.
   */
  static final String EULER_WORKSPACE = "llt-noprop-euler";

  /** The configuration of {@link #EULER_WORKSPACE}. */
  static final WorkspaceConfiguration EULER =
      WorkspaceConfiguration.builder()
          .initialSize(0)
          .policyAllocation(AllocationPolicy.STRICT)
          .policyLearning(LearningPolicy.FIRST_LOOP)
          .policyReset(ResetPolicy.BLOCK_LEFT)
          .policySpill(SpillPolicy.REALLOCATE)
          .build();

  private final NoPropFmRule.Config config;
  private final int classes;
  private final DataType dataType;
  private final DenoiserHead head;

  FlowState(NoPropFmRule.Config config, BlockContext context) {
    this.config = config;
    this.classes = context.numClasses();
    this.dataType = context.dataType();
    this.head = NoPropFmRule.head(config, context.outputSize(), classes, dataType, true);
  }

  @Override
  public long numParams() {
    return head.numParams();
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    head.bind(params, grads);
  }

  @Override
  public void initialize(SplittableRandom rng) {
    head.initialize(rng);
  }

  @Override
  public INDArray buffers() {
    return head.buffers();
  }

  /**
   * Counts per example: t, its embedding (a DOUBLE host copy and its cast), z_0, u - z_0 and its
   * scaled copy, z_t, the head's own count, and v - target.
   */
  @Override
  public long workingValuesPerExample() {
    long w = dataType.width();
    long te = config.timeEmbedding();
    long d = classes;
    return 1 + te * 8 / w + (w == 8 ? 0 : te) + 4 * d + head.workingValuesPerExample() + 2 * d;
  }

  /** Returns the time embedding of each row's t, {@code [rows, timeEmbedding]}. */
  private INDArray embed(double[] t) {
    return TimeConditionedRule.embedTimes(t, config.timeEmbedding(), dataType);
  }

  /**
   * The head's velocity for noisy labels z at times t (the image features already computed).
   */
  INDArray velocity(INDArray hx, INDArray z, double[] t, boolean training, Random rng) {
    return head.forward(hx, z, embed(t), training, rng);
  }

  /**
   * The flow-matching loss and its gradients for given z_0 and t: forward through the block, {@code
   * mean_b ||v - (u_y - z_0)||^2}, backward.
   *
   * @param block the block
   * @param x the images
   * @param u the one-hot embeddings u_y {@code [batch, d]}
   * @param z0 the noise z_0 {@code [batch, d]}
   * @param t the time of each row, in [0, 1)
   * @return the batch mean of the loss
   */
  double flow(Block block, INDArray x, INDArray u, INDArray z0, double[] t) {
    int batch = (int) x.size(0);
    INDArray target = u.sub(z0);
    INDArray tc = Nd4j.create(t, new long[] {batch, 1}, 'c').castTo(dataType);
    INDArray zt = z0.add(target.mulColumnVector(tc));
    INDArray hx = block.forward(x, true);
    INDArray v = velocity(hx, zt, t, true, block.rng());
    INDArray diff = v.sub(target);
    double loss = diff.norm2Number().doubleValue();
    head.backward(block, diff.muli(2.0 / batch));
    return loss * loss / batch;
  }

  /** One training step: draws t ~ U[0, 1) and z_0 ~ N(0, I) per example, then {@link #flow}. */
  @Override
  public double trainStep(Block block, INDArray x, Labels labels) {
    int batch = (int) x.size(0);
    double[] t = TimeConditionedRule.drawTimes(batch, block.rng());
    INDArray z0 = Nd4j.createUninitialized(dataType, new long[] {batch, classes}, 'c');
    Nd4j.getExecutioner().exec(new GaussianDistribution(z0, 0.0, 1.0), block.rng());
    return flow(block, x, labels.oneHot(), z0, t);
  }

  /**
   * Integrates {@code dz/dt = v(z, x, t)} from t = 0 to 1 with {@code inferenceSteps} Euler
   * steps, from {@code start} (modified in place, and returned).
   */
  INDArray integrate(Block block, INDArray hx, INDArray start) {
    int steps = config.inferenceSteps();
    double[] t = new double[(int) start.size(0)];
    for (int k = 0; k < steps; k++) {
      Arrays.fill(t, (double) k / steps);
      try (MemoryWorkspace step =
          Nd4j.getWorkspaceManager().getAndActivateWorkspace(EULER, EULER_WORKSPACE)) {
        INDArray v = velocity(hx, start, t, false, block.rng());
        start.addi(v.muli(1.0 / steps));
      }
    }
    return start;
  }

  /**
   * Inference: encodes the image once, integrates both chains and returns each chain's
   * nearest-embedding scores {@code z . u_k - ||u_k||^2 / 2} (for one-hot: {@code z_k - 1/2}).
   */
  @Override
  public Map<String, INDArray> infer(Block block, INDArray x) {
    INDArray hx = block.forward(x, false);
    Map<String, INDArray> scores = new LinkedHashMap<>();
    for (String chain : new String[] {NoPropRule.STOCHASTIC, NoPropRule.DETERMINISTIC}) {
      INDArray z = Nd4j.zeros(dataType, x.size(0), classes);
      if (chain.equals(NoPropRule.STOCHASTIC)) {
        Nd4j.getExecutioner().exec(new GaussianDistribution(z, 0.0, 1.0), block.rng());
      }
      scores.put(chain, integrate(block, hx, z).subi(0.5));
    }
    return scores;
  }

  /** Frees this thread's inference-step workspace, if any. */
  static void releaseEulerWorkspace() {
    if (Nd4j.getWorkspaceManager().checkIfWorkspaceExists(EULER_WORKSPACE)) {
      Nd4j.getWorkspaceManager()
          .destroyWorkspace(Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(EULER_WORKSPACE));
    }
  }

  @Override
  public void close() {
    head.close();
    releaseEulerWorkspace();
  }
}
