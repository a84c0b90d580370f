package io.llt.rules.noprop;

import io.llt.engine.config.Checks;
import io.llt.engine.config.InvalidValueException;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.LocalRuleProvider;
import io.llt.engine.spi.RuleState;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * NoProp-CT (continuous time; spec 2(b) "CT loss", 2(c)): one time-conditioned block
 * {@code uhat(z_t, x, t) = softmax(logits) W_Embed} with the one-hot embedding, a learned
 * monotone noise schedule ({@link MonotoneSchedule}) trained jointly, and the linear classifier
 * f_out on z_1. Per example, {@code t ~ U[0, 1)} and {@code z_t ~ q(z_t | y) = N(sqrt(abar(t))
 * u_y, (1 - abar(t)) I)}:
 *
 * <pre>
 *   L_CT = -log softmax(f_out(z_1))[y]   (z_1 ~ q(z_1 | y))  +  KL(q(z_0 | y) || N(0, I))
 *        + (eta / 2) SNR'(t) ||uhat(z_t, x, t) - u_y||^2
 * </pre>
 *
 * <p>The schedule's parameters get the gradient of the last term through both SNR'(t) and the
 * draw of z_t (reparameterised: {@code dz_t/dabar = u / (2 sqrt(abar)) - eps / (2 sqrt(1 -
 * abar))}), which needs the gradient with respect to the label path's input. abar(0) and abar(1)
 * are fixed by the normalisation, so the KL and classifier terms do not depend on the schedule.
 *
 * <p>Inference discretises [0, 1] into {@link Config#inferenceSteps} steps and applies DT's
 * reverse step with abar read from the learned schedule at the grid points (spec 2(c)), the image
 * path run once; two chains, {@code stochastic} and {@code deterministic}, classified by f_out.
 */
public final class NoPropCtRule extends TimeConditionedRule {
  /**
   * Config of NoProp-CT ({@code type: noprop-ct}).
   *
   * @param eta the denoising weight; default 1 (the table's CT value); > 0
   * @param gamma0 gamma at t = 1 (clean end); default -7
   * @param gamma1 gamma at t = 0 (noise end); default 7; > gamma0
   * @param scheduleUnits the sigmoid steps of the monotone schedule net; default 8; >= 1
   * @param timeEmbedding the sinusoidal time embedding's width; default 64; even
   * @param inferenceSteps the steps of the inference grid; default 1000 (the reproductions')
   * @param labelAblation {@code none} (default), {@code zero-input} or {@code zero-features}
   * @param labelStem the label path's first layers
   * @param labelResidual the layers the skip connection goes around; may be empty
   * @param timePath the layers on the time embedding
   * @param fusion the layers on the concatenated features, ending in one logit per class
   */
  public record Config(
      Double eta,
      Double gamma0,
      Double gamma1,
      Integer scheduleUnits,
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
      eta = eta == null ? 1.0 : eta;
      Checks.positive("eta", eta);
      gamma0 = gamma0 == null ? -7.0 : gamma0;
      gamma1 = gamma1 == null ? 7.0 : gamma1;
      if (!(gamma1 > gamma0)) {
        throw new InvalidValueException(
            "gamma1", "must exceed gamma0 (" + gamma0 + ") so that the signal rises with t, found "
                + gamma1);
      }
      scheduleUnits = scheduleUnits == null ? 8 : scheduleUnits;
      Checks.positive("scheduleUnits", scheduleUnits);
      timeEmbedding = timeEmbeddingWidth(timeEmbedding);
      inferenceSteps = inferenceSteps == null ? 1000 : inferenceSteps;
      Checks.positive("inferenceSteps", inferenceSteps);
      labelAblation = labelAblation == null ? LabelAblation.NONE : labelAblation;
      labelStem = DenoiserHead.requiredLayers(
          "labelStem", labelStem, "the label path's first layers");
      labelResidual = labelResidual == null ? List.of() : List.copyOf(labelResidual);
      timePath = DenoiserHead.requiredLayers(
          "timePath", timePath, "the layers on the time embedding");
      fusion = DenoiserHead.requiredLayers(
          "fusion", fusion, "the layers on the concatenated features, ending in one"
          + " logit per class");
    }

    @Override
    public LocalRule build() {
      return new NoPropCtRule(this);
    }
  }

  /** Registers {@code type: noprop-ct}. */
  public static final class Provider implements LocalRuleProvider {
    @Override
    public String id() {
      return "noprop-ct";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "NoProp-CT: one time-conditioned denoising block with a learned monotone noise schedule";
    }
  }

  private final Config config;

  private NoPropCtRule(Config config) {
    this.config = config;
  }

  @Override
  public Config config() {
    return config;
  }

  /** Builds the head of the CT block; throws {@link IllegalArgumentException} naming the key. */
  static DenoiserHead head(
      Config config, long imageWidth, int classes, DataType dataType, boolean allocate) {
    return DenoiserHead.build(
        config.labelStem(),
        config.labelResidual(),
        config.timePath(),
        config.timeEmbedding(),
        config.fusion(),
        new DenoiserHead.FusionOutput(classes, "softmax times the embedding (one logit per class)"),
        imageWidth,
        classes,
        dataType,
        config.labelAblation(),
        allocate,
        0);
  }

  /** Returns the learned schedule's form. */
  MonotoneSchedule schedule() {
    return new MonotoneSchedule(config.scheduleUnits(), config.gamma0(), config.gamma1());
  }

  @Override
  public RuleState createState(BlockContext context) {
    return new CtState(config, schedule(), context);
  }

  @Override
  String variant() {
    return "NoProp-CT";
  }

  @Override
  void checkHead(long imageWidth, int classes) {
    head(config, imageWidth, classes, DataType.FLOAT, false);
  }
}
