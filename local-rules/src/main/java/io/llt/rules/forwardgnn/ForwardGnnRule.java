package io.llt.rules.forwardgnn;

import io.llt.engine.config.Checks;
import io.llt.engine.config.Schedule;
import io.llt.engine.data.graph.NodeGraph;
import io.llt.engine.graph.Block;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.GraphEncoding;
import io.llt.engine.spi.GraphRule;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.LocalRuleProvider;
import io.llt.engine.spi.ReadoutSpec;
import io.llt.engine.spi.Readout;
import io.llt.engine.spi.RuleState;
import io.llt.engine.spi.Signals;
import io.llt.engine.spi.StepResult;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ForwardGNN (Park et al., ICLR 2024): a graph network trained layer by layer, each layer (a block:
 * L2 row normalisation, a graph convolution, ReLU) with its own objective on its own detached
 * input, greedily to early stopping (the full-graph trainer's {@code greedy} schedule). Variants
 * (spec ff-forwardgnn.md, section 3):
 *
 * <ul>
 *   <li>{@code sf} (single-forward, the default): one augmented graph with a class node per class
 *       wired to the training nodes of its class ({@link GraphEncoders#singleForward}). The
 *       layer's loss is the softmax cross-entropy over {@code s_vc = <h_v, h_vn(c)> / tau} for
 *       training nodes v; the gradient reaches the weights through both the node and the
 *       class-node embeddings. Scores: {@code softmax_c s_vc}, summed over layers.
 *   <li>{@code ff-la} (label appending) and {@code ff-vn} (virtual nodes): Forward-Forward with
 *       one positive and C-1 negative copies of the graph ({@link GraphEncoders}); logit {@code
 *       sum_j y_j^2 - theta} on training nodes, {@code L = BCE(pos, 1) + mean_k BCE(neg_k, 0)}
 *       in softplus form. Scores: {@code mean_j y_j^2 - theta} per candidate copy, summed over
 *       layers (mean at inference, sum in training, as the reference).
 *   <li>{@code sf-top2loss} (single-forward with Top-to-Loss signals): every layer trains at every
 *       time step ({@code simultaneous}), its loss taken on the mean of its own output and the
 *       L2-normalised outputs of the layers above it from the previous time step, its gradient
 *       clipped to norm {@code gradClip}; scores likewise from one bottom-up pass.
 * </ul>
 *
 * <p>Differences from the reference, on purpose: under {@code ff-vn} every copy hands its own
 * output to the next layer (the reference hands the positive graph's output to every copy from
 * layer 2 on, so negatives differ only in edges); under {@code sf-top2loss} every block
 * normalises its input (the reference's initial and evaluation bottom-up passes feed each layer
 * the raw output of the one below, while its training feeds normalised states). Top-to-Input is
 * not built. Type id {@code forwardgnn}.
 */
public final class ForwardGnnRule implements LocalRule, GraphRule {
  /** The ForwardGNN variant. */
  public enum Variant {
    /** Single-forward with class nodes as prototypes. */
    SF,
    /** Forward-Forward with label appending. */
    FF_LA,
    /** Forward-Forward with virtual class nodes. */
    FF_VN,
    /** Single-forward with top-down signals into the loss (Top-to-Loss). */
    SF_TOP2LOSS
  }

  /**
   * Config of {@code type: forwardgnn}.
   *
   * @param variant {@code sf} (default), {@code ff-la}, {@code ff-vn} or {@code sf-top2loss}
   * @param temperature {@code sf} only: divides the node-prototype dot products; default 1, > 0
   * @param theta {@code ff-la}/{@code ff-vn} only: the goodness threshold; default 2 (the
   *     reference's {@code --ff-theta})
   * @param gradClip {@code sf-top2loss} only: the largest L2 norm of a block's gradient per step
   *     (torch's {@code clip_grad_norm_}); default 1 (the reference's {@code --grad-max-norm})
   */
  public record Config(Variant variant, Double temperature, Double theta, Double gradClip)
      implements LocalRuleConfig {
    /** Validates and applies defaults. */
    public Config {
      variant = variant == null ? Variant.SF : variant;
      boolean sf = variant == Variant.SF || variant == Variant.SF_TOP2LOSS;
      if (sf) {
        Checks.absent("theta", theta, "variant: ff-la or ff-vn only");
        temperature = temperature == null ? 1.0 : temperature;
        Checks.positive("temperature", temperature);
      } else {
        Checks.absent("temperature", temperature, "variant: sf or sf-top2loss only");
        theta = theta == null ? 2.0 : theta;
      }
      if (variant == Variant.SF_TOP2LOSS) {
        gradClip = gradClip == null ? 1.0 : gradClip;
        Checks.positive("gradClip", gradClip);
      } else {
        Checks.absent("gradClip", gradClip, "variant: sf-top2loss only");
      }
    }

    /** Creates a config without gradient clipping (every variant but sf-top2loss). */
    public Config(Variant variant, Double temperature, Double theta) {
      this(variant, temperature, theta, null);
    }

    @Override
    public LocalRule build() {
      return new ForwardGnnRule(this);
    }
  }

  /** Registers {@code type: forwardgnn}. */
  public static final class Provider implements LocalRuleProvider {
    @Override
    public String id() {
      return "forwardgnn";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "ForwardGNN: per-layer graph learning, single-forward (class-node prototypes, greedy"
          + " or with Top-to-Loss signals) or Forward-Forward with label appending / virtual nodes";
    }
  }

  private final Config config;

  private ForwardGnnRule(Config config) {
    this.config = config;
  }

  @Override
  public Config config() {
    return config;
  }

  @Override
  public RuleState createState(BlockContext context) {
    return RuleState.none();
  }

  /** Never called: validation admits this rule only with graph data, which the graph trainer runs. */
  @Override
  public StepResult step(
      Block block, RuleState state, INDArray input, Labels labels, Signals signals) {
    throw new IllegalStateException(
        "forwardgnn trains on a whole graph (data.type: cora or cora-ml), not on batches");
  }

  @Override
  public String scheduleProblem(Schedule schedule) {
    if (config.variant() == Variant.SF_TOP2LOSS) {
      return schedule == Schedule.SIMULTANEOUS
          ? null
          : "sf-top2loss trains every layer at every time step on the layers above's states; set"
              + " trainer.schedule: simultaneous";
    }
    return schedule == Schedule.GREEDY
        ? null
        : "ForwardGNN trains its layers greedily, each to early stopping; set trainer.schedule:"
            + " greedy";
  }

  @Override
  public String rowLayout() {
    return "graph rows of forwardgnn " + config.variant().name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  @Override
  public List<ReadoutSpec> readouts() {
    return List.of(new ReadoutSpec("sum", "scores", Readout.SUM));
  }

  /** Label appending widens each row by the C label columns. */
  @Override
  public long[] encodedShape(long[] features, int numClasses) {
    if (config.variant() != Variant.FF_LA) {
      return features;
    }
    long width = 1;
    for (long d : features) {
      width *= d;
    }
    return new long[] {width + numClasses};
  }

  @Override
  public Encodings encodeGraph(NodeGraph graph, DataType dataType, long seed) {
    return switch (config.variant()) {
      case SF, SF_TOP2LOSS -> GraphEncoders.singleForward(graph, dataType, seed);
      case FF_LA -> GraphEncoders.labelAppending(graph, dataType, seed);
      case FF_VN -> GraphEncoders.virtualNodes(graph, dataType, seed);
    };
  }

  @Override
  public StepResult graphStep(
      Block block, RuleState state, INDArray input, GraphEncoding enc, List<INDArray> above) {
    INDArray h = block.forward(input, true);
    double[] loss = new double[1];
    INDArray dh;
    if (config.variant() == Variant.FF_LA || config.variant() == Variant.FF_VN) {
      dh = ffGradient(h, enc, loss);
    } else if (config.variant() == Variant.SF_TOP2LOSS && !above.isEmpty()) {
      // emb = mean(h, norm(s_above)...): dL/dh = dL/demb / k
      int k = 1 + above.size();
      dh = SingleForward.gradient(topDownMean(h, above), enc, config.temperature(), loss).divi(k);
    } else {
      dh = SingleForward.gradient(h, enc, config.temperature(), loss);
    }
    block.backward(dh);
    if (config.variant() == Variant.SF_TOP2LOSS) {
      clip(block.grads(), config.gradClip());
    }
    return new StepResult(h, loss[0]);
  }

  @Override
  public INDArray graphScores(
      Block block, RuleState state, INDArray output, GraphEncoding enc, List<INDArray> above) {
    if (config.variant() == Variant.SF || config.variant() == Variant.SF_TOP2LOSS) {
      INDArray emb =
          config.variant() == Variant.SF_TOP2LOSS && !above.isEmpty()
              ? topDownMean(output, above)
              : output;
      return SingleForward.probabilities(emb, enc.numNodes(), config.temperature());
    }
    int rows = (int) output.size(0);
    int copies = rows / enc.rowsPerCopy();
    double[] m = output.mul(output).mean(1).castTo(DataType.DOUBLE).toDoubleVector();
    int n = enc.numNodes();
    double[] s = new double[n * copies];
    for (int k = 0; k < copies; k++) {
      for (int v = 0; v < n; v++) {
        s[v * copies + k] = m[k * enc.rowsPerCopy() + v] - config.theta();
      }
    }
    return Nd4j.create(s, new long[] {n, copies}, 'c').castTo(output.dataType());
  }

  /**
   * Top-to-Loss's embedding: the mean of the block's own output and the L2-normalised
   * ({@code x / (||x|| + 1e-8)}) outputs of the blocks above it.
   */
  static INDArray topDownMean(INDArray h, List<INDArray> above) {
    INDArray sum = h.dup();
    for (INDArray s : above) {
      INDArray norm = s.norm2(true, 1).addi(1e-8);
      sum.addi(s.divColumnVector(norm));
    }
    return sum.divi(1 + above.size());
  }

  /** Scales {@code grads} to L2 norm {@code max} when it is larger (torch's clip_grad_norm_). */
  static void clip(INDArray grads, double max) {
    double norm = grads.norm2Number().doubleValue();
    if (norm > max) {
      grads.muli(max / (norm + 1e-6));
    }
  }

  /**
   * Forward-Forward on graphs: copy 0 positive, the others negative; for every labelled row the
   * logit {@code sum_j y_j^2 - theta}; positives weigh {@code 1/n}, each negative copy {@code
   * 1/(n (C-1))}; {@code dL/dy = 2 y dL/dlogit}.
   */
  private INDArray ffGradient(INDArray h, GraphEncoding enc, double[] loss) {
    int per = enc.rowsPerCopy();
    int rows = (int) h.size(0);
    int copies = rows / per;
    int[] lab = enc.rowLabels();
    int nTrain = 0;
    for (int r = 0; r < per; r++) {
      nTrain += lab[r] >= 0 ? 1 : 0;
    }
    double[] g = h.mul(h).sum(1).castTo(DataType.DOUBLE).toDoubleVector();
    double[] dlogit = new double[rows];
    double total = 0;
    for (int r = 0; r < rows; r++) {
      if (lab[r] < 0) {
        continue;
      }
      double logit = g[r] - config.theta();
      if (r < per) {
        total += softplus(-logit) / nTrain;
        dlogit[r] = -sigmoid(-logit) / nTrain;
      } else {
        double w = 1.0 / ((double) nTrain * (copies - 1));
        total += softplus(logit) * w;
        dlogit[r] = sigmoid(logit) * w;
      }
    }
    loss[0] = total;
    INDArray col = Nd4j.create(dlogit, new long[] {rows, 1}, 'c').castTo(h.dataType());
    return h.mulColumnVector(col).muli(2);
  }

  static double softplus(double x) {
    return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  }

  static double sigmoid(double x) {
    return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
  }

}
