package io.llt.rules.noprop;

import io.llt.engine.config.Checks;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.LocalRuleProvider;
import io.llt.engine.spi.RuleState;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

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
 * time path on a sinusoidal embedding of t ({@link TimeConditionedRule#sinusoid}), and the fusion on the three
 * concatenated, ending in d values: the velocity. The paper's anchor term for learned embeddings
 * is unverified and not needed here (the embedding is fixed).
 *
 * <p>Inference integrates the ODE with {@link Config#inferenceSteps} Euler steps, {@code z <- z +
 * v(z, x, t) / N} for t = 0, 1/N, ..., (N-1)/N, encoding the image once, and classifies z_1 by
 * the nearest class embedding (scores {@code z . u_k - ||u_k||^2 / 2}). Two chains: {@code
 * stochastic} from z_0 ~ N(0, I), {@code deterministic} from the prior's mean 0 (the ODE itself
 * has no noise).
 */
public final class NoPropFmRule extends TimeConditionedRule {
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
      timeEmbedding = timeEmbeddingWidth(timeEmbedding);
      inferenceSteps = inferenceSteps == null ? 1000 : inferenceSteps;
      Checks.positive("inferenceSteps", inferenceSteps);
      labelAblation = labelAblation == null ? LabelAblation.NONE : labelAblation;
      labelStem = DenoiserHead.requiredLayers(
          "labelStem", labelStem, "the label path's first layers, for example"
              + " [{type: dense, units: 256}, {type: batchnorm}, {type: activation, function: relu}]");
      labelResidual = labelResidual == null ? List.of() : List.copyOf(labelResidual);
      timePath = DenoiserHead.requiredLayers(
          "timePath", timePath, "the layers on the time embedding, for example"
              + " [{type: dense, units: 64}, {type: activation, function: relu}]");
      fusion = DenoiserHead.requiredLayers(
          "fusion", fusion, "the layers on the concatenated features, ending in one value per"
              + " class (the velocity of the one-hot embedding)");
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
        allocate,
        0);
  }

  @Override
  public RuleState createState(BlockContext context) {
    return new FlowState(config, context);
  }

  @Override
  String variant() {
    return "NoProp-FM";
  }

  @Override
  void checkHead(long imageWidth, int classes) {
    head(config, imageWidth, classes, DataType.FLOAT, false);
  }
}
