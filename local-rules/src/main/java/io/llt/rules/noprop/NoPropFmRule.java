package io.llt.rules.noprop;

import io.llt.engine.config.Checks;
import io.llt.engine.config.InvalidValueException;
import io.llt.engine.config.Schedule;
import io.llt.engine.graph.Block;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.BlockInference;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.LocalRuleProvider;
import io.llt.engine.spi.Readout;
import io.llt.engine.spi.ReadoutSpec;
import io.llt.engine.spi.RuleState;
import io.llt.engine.spi.Signals;
import io.llt.engine.spi.StepResult;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * NoProp-FM (flow matching; Li, Teh, Pascanu 2025, spec 2(b) "FM loss" and 2(c)): one block,
 * time-conditioned, that regresses the velocity carrying noise to the label embedding given the
 * image. With the fixed one-hot embedding u_y (d = C), per example:
 *
 * <pre>
 *   z_0 ~ N(0, I),  z_1 = u_y,  t ~ U[0, 1),  z_t = t z_1 + (1 - t) z_0
 *   L_FM = mean_b || v(z_t, x, t) - (z_1 - z_0) ||^2
 * </pre>
 *
 * <p>The block's {@code layers} are the image path; the rule adds the label path (as DT's), the
 * time path on a sinusoidal embedding of t ({@link #timeEmbedding}), and the fusion on the three
 * concatenated, ending in d values: the velocity. The paper's anchor term for learned embeddings
 * is unverified and not needed here (the embedding is fixed).
 *
 * <p>Inference integrates the ODE with {@link Config#inferenceSteps} Euler steps, {@code z <- z +
 * v(z, x, t) / N} for t = 0, 1/N, ..., (N-1)/N, encoding the image once, and classifies z_1 by
 * the nearest class embedding (scores {@code z . u_k - ||u_k||^2 / 2}). Two chains: {@code
 * stochastic} from z_0 ~ N(0, I), {@code deterministic} from the prior's mean 0 (the ODE itself
 * has no noise).
 */
public final class NoPropFmRule implements LocalRule {
  /**
   * Config of NoProp-FM ({@code type: noprop-fm}).
   *
   * @param timeEmbedding the width of the sinusoidal time embedding; default 64 (spec 2(d)); even,
   *     >= 2
   * @param inferenceSteps the Euler steps of inference; default 1000 (the reproductions'); >= 1
   * @param labelAblation {@code none} (default), {@code zero-input} or {@code zero-features}
   *     ({@link LabelAblation})
   * @param labelStem the label path's first layers, on z ({@code [d]})
   * @param labelResidual the layers the skip connection goes around; may be empty
   * @param timePath the layers on the time embedding, for example FC(64) ReLU
   * @param fusion the layers on the concatenated image, label and time features; the last must
   *     output d values (d = C for the one-hot embedding)
   */
  public record Config(
      Integer timeEmbedding,
      Integer inferenceSteps,
      LabelAblation labelAblation,
      List<LayerConfig> labelStem,
      List<LayerConfig> labelResidual,
      List<LayerConfig> timePath,
      List<LayerConfig> fusion)
      implements LocalRuleConfig {
    /** Validates and applies defaults. */
    public Config {
      timeEmbedding = timeEmbedding == null ? 64 : timeEmbedding;
      if (timeEmbedding < 2 || timeEmbedding % 2 != 0) {
        throw new InvalidValueException(
            "timeEmbedding", "must be an even number >= 2 (sines and cosines), found " + timeEmbedding);
      }
      inferenceSteps = inferenceSteps == null ? 1000 : inferenceSteps;
      Checks.positive("inferenceSteps", inferenceSteps);
      labelAblation = labelAblation == null ? LabelAblation.NONE : labelAblation;
      Checks.required(
          "labelStem", labelStem, "the label path's first layers, for example"
              + " [{type: dense, units: 256}, {type: batchnorm}, {type: activation, function: relu}]");
      Checks.nonEmpty("labelStem", labelStem);
      labelStem = List.copyOf(labelStem);
      labelResidual = labelResidual == null ? List.of() : List.copyOf(labelResidual);
      Checks.required(
          "timePath", timePath, "the layers on the time embedding, for example"
              + " [{type: dense, units: 64}, {type: activation, function: relu}]");
      Checks.nonEmpty("timePath", timePath);
      timePath = List.copyOf(timePath);
      Checks.required(
          "fusion", fusion, "the layers on the concatenated features, ending in one value per"
              + " class (the velocity of the one-hot embedding)");
      Checks.nonEmpty("fusion", fusion);
      fusion = List.copyOf(fusion);
    }

    @Override
    public LocalRule build() {
      return new NoPropFmRule(this);
    }
  }

  /** Registers {@code type: noprop-fm}. */
  public static final class Provider implements LocalRuleProvider {
    @Override
    public String id() {
      return "noprop-fm";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "NoProp-FM: one time-conditioned block regressing the flow from noise to the label";
    }
  }

  private final Config config;

  private NoPropFmRule(Config config) {
    this.config = config;
  }

  @Override
  public Config config() {
    return config;
  }

  /** Builds the head of the FM block; throws {@link IllegalArgumentException} naming the key. */
  static DenoiserHead head(
      Config config, long imageWidth, int classes, DataType dataType, boolean allocate) {
    return DenoiserHead.build(
        config.labelStem(),
        config.labelResidual(),
        config.timePath(),
        config.timeEmbedding(),
        config.fusion(),
        new DenoiserHead.FusionOutput(classes, "the velocity (one value per embedding value)"),
        imageWidth,
        classes,
        dataType,
        config.labelAblation(),
        allocate);
  }

  @Override
  public RuleState createState(BlockContext context) {
    return new FlowState(config, context);
  }

  @Override
  public StepResult step(Block block, RuleState state, INDArray input, Labels labels, Signals signals) {
    return new StepResult(input, ((FlowState) state).trainStep(block, input, labels));
  }

  @Override
  public INDArray pass(Block block, RuleState state, INDArray input, Labels labels, Signals signals) {
    return input;
  }

  @Override
  public BlockInference infer(Block block, RuleState state, INDArray input, Signals signals) {
    return new BlockInference(input, ((FlowState) state).infer(block, input));
  }

  @Override
  public boolean handsOnInput() {
    return true;
  }

  /** Two readouts: {@code stochastic} (from z_0 ~ N(0, I), headline) and {@code deterministic}. */
  @Override
  public List<ReadoutSpec> readouts() {
    return List.of(
        new ReadoutSpec(NoPropRule.STOCHASTIC, NoPropRule.STOCHASTIC, Readout.LAST),
        new ReadoutSpec(NoPropRule.DETERMINISTIC, NoPropRule.DETERMINISTIC, Readout.LAST));
  }

  @Override
  public String scheduleProblem(Schedule schedule) {
    return schedule == Schedule.BACKPROP
        ? "a NoProp-FM model conditions one block on the image, the noisy label and the time, not"
            + " one chain of layers; train the backprop baseline from its own config"
        : null;
  }

  @Override
  public List<String> layerProblems(List<Layer> layers, BlockContext context) {
    List<String> out = new ArrayList<>();
    if (context.blockCount() != 1) {
      out.add(
          "rule: a NoProp-FM model is one time-conditioned block, but the model has "
              + context.blockCount() + " blocks; give it exactly one");
    }
    if (context.numClasses() < 2) {
      return out;
    }
    try {
      head(config, DenoiserHead.size(layers.get(layers.size() - 1).outputShape()),
          context.numClasses(), DataType.FLOAT, false);
    } catch (IllegalArgumentException e) {
      out.add(e.getMessage());
    }
    return out;
  }

  /**
   * Returns the sinusoidal embedding of times {@code t} ({@code [rows][width]} flattened, C
   * order): for i &lt; width/2, {@code sin(1000 t f_i)} and {@code cos(1000 t f_i)} with {@code f_i
   * = 10000^(-i / (width/2))}. The scale 1000 puts t in [0, 1] on the step scale of DDPM's
   * embedding; the paper's exact embedding is unverified (spec 2(d) gives its width, 64).
   */
  static double[] timeEmbedding(double[] t, int width) {
    int half = width / 2;
    double[] out = new double[t.length * width];
    for (int r = 0; r < t.length; r++) {
      for (int i = 0; i < half; i++) {
        double f = Math.exp(-Math.log(10000.0) * i / half);
        double a = 1000.0 * t[r] * f;
        out[r * width + i] = Math.sin(a);
        out[r * width + half + i] = Math.cos(a);
      }
    }
    return out;
  }
}
